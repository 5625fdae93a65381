package values

import (
	"net/netip"
	"strings"
	"testing"
)

func TestIPHost(t *testing.T) {
	h := attr("address", KindIPHost)
	runRows(t, []row{
		{"with prefix", h, "10.0.0.1/24", "10.0.0.1/24", ""},
		{"bare v4", h, "10.0.0.1", "10.0.0.1/32", ""},
		{"network address", h, "10.0.0.0/24", "10.0.0.0/24", ""},
		{"netmask", h, "10.0.0.1/255.255.255.0", "10.0.0.1/24", ""},
		{"v6 compressed lower", h, "2001:DB8:0:0:0:0:0:1/64", "2001:db8::1/64", ""},
		{"bare v6", h, "2001:db8::1", "2001:db8::1/128", ""},
		{"spaces trimmed", h, " 192.168.1.1/30 ", "192.168.1.1/30", ""},
		{"prefix too long", h, "10.0.0.1/33", nil, `"10.0.0.1/33" is not a valid IP host (address with optional prefix length): invalid prefix length "33"`},
		{"non contiguous mask", h, "10.0.0.1/255.0.255.0", nil, "invalid prefix length"},
		{"leading zero length", h, "10.0.0.1/024", nil, "invalid prefix length"},
		{"not an address", h, "10.0.0.256/24", nil, "not an IP address"},
		{"zone", h, "fe80::1%eth0", nil, "an address with a zone is not accepted"},
		{"number", h, 10, nil, "expected a string for kind IPHost, got number 10"},
	})
}

func TestIPNetwork(t *testing.T) {
	n := attr("prefix", KindIPNetwork)
	runRows(t, []row{
		{"network", n, "10.0.0.0/24", "10.0.0.0/24", ""},
		{"bare", n, "10.0.0.0", "10.0.0.0/32", ""},
		{"v6", n, "2001:DB8::/32", "2001:db8::/32", ""},
		{"default route", n, "0.0.0.0/0", "0.0.0.0/0", ""},
		{"host bits", n, "10.0.0.1/24", nil, `"10.0.0.1/24" is not a valid IP network: host bits are set (the network is 10.0.0.0/24)`},
		{"v6 host bits", n, "2001:db8::1/64", nil, "host bits are set (the network is 2001:db8::/64)"},
		{"garbage", n, "prefix", nil, `"prefix" is not a valid IP network: not an IP address`},
	})
}

func TestIPAddress(t *testing.T) {
	a := attr("ip", KindIPAddress)
	runRows(t, []row{
		{"v4", a, "192.0.2.1", "192.0.2.1", ""},
		{"v6", a, "2001:0db8:0000::0001", "2001:db8::1", ""},
		{"with prefix", a, "192.0.2.1/24", nil, `"192.0.2.1/24" is not a bare IP address: no prefix length allowed`},
		{"bad", a, "192.0.2", nil, "is not a valid IP address: not an IP address"},
	})
}

func TestMacAddress(t *testing.T) {
	m := attr("mac", KindMacAddress)
	want := "aa:bb:cc:dd:ee:ff"
	runRows(t, []row{
		{"unix", m, "aa:bb:cc:dd:ee:ff", want, ""},
		{"upper", m, "AA:BB:CC:DD:EE:FF", want, ""},
		{"dash", m, "AA-BB-CC-DD-EE-FF", want, ""},
		{"cisco", m, "aabb.ccdd.eeff", want, ""},
		{"bare", m, "AABBCCDDEEFF", want, ""},
		{"pgsql", m, "aabbcc:ddeeff", want, ""},
		{"pgsql dash", m, "aabbcc-ddeeff", want, ""},
		{"one digit groups", m, "0:1:2:a:b:c", "00:01:02:0a:0b:0c", ""},
		{"mixed separators", m, "aa:bb-cc:dd:ee:ff", nil, `"aa:bb-cc:dd:ee:ff" is not a valid MAC address (e.g. aa:bb:cc:dd:ee:ff)`},
		{"too short", m, "aa:bb:cc:dd:ee", nil, "is not a valid MAC address"},
		{"eui64", m, "aa:bb:cc:dd:ee:ff:00:11", nil, "is not a valid MAC address"},
		{"not hex", m, "gg:bb:cc:dd:ee:ff", nil, "is not a valid MAC address"},
		{"cisco short group", m, "aabb.ccd.eeff0", nil, "is not a valid MAC address"},
		{"number", m, 12, nil, "expected a string for kind MacAddress, got number 12"},
	})
}

// FuzzNormalize checks the network parsers never panic and that what they accept is stable:
// the stored form normalises to itself, and IPNetwork/IPHost forms agree with net/netip.
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{
		"10.0.0.1/24", "10.0.0.0/24", "2001:db8::1/64", "::/0", "10.0.0.1/255.255.255.0", "fe80::1%eth0",
		"aa:bb:cc:dd:ee:ff", "aabb.ccdd.eeff", "AABBCCDDEEFF", "0:1:2:3:4:5", "::ffff:10.0.0.1/120", "",
	} {
		f.Add(s)
	}
	kinds := []string{KindIPHost, KindIPNetwork, KindIPAddress, KindMacAddress}
	f.Fuzz(func(t *testing.T, s string) {
		for _, k := range kinds {
			a := attr("f", k)
			out, err := Normalize(a, s)
			if err != nil {
				if !strings.HasPrefix(err.Error(), `attribute "f": `) {
					t.Fatalf("%s %q: error %q does not name the attribute", k, s, err)
				}
				continue
			}
			again, err := Normalize(a, out)
			if err != nil || again != out {
				t.Fatalf("%s %q: stored form %q normalises to %q, %v", k, s, out, again, err)
			}
			str := out.(string)
			switch k {
			case KindIPHost, KindIPNetwork:
				p, err := netip.ParsePrefix(str)
				if err != nil || p.String() != str {
					t.Fatalf("%s %q: stored %q is not a canonical prefix", k, s, str)
				}
				if k == KindIPNetwork && p.Masked() != p {
					t.Fatalf("%s %q: stored %q has host bits", k, s, str)
				}
			case KindMacAddress:
				if len(str) != 17 || strings.ToLower(str) != str {
					t.Fatalf("%s %q: stored %q is not aa:bb:cc:dd:ee:ff", k, s, str)
				}
			}
		}
	})
}
