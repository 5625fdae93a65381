package nodes

import (
	"net/netip"
	"testing"
)

func TestNextAddress(t *testing.T) {
	used := func(list ...string) func(netip.Addr) bool {
		m := map[netip.Addr]bool{}
		for _, s := range list {
			m[netip.MustParseAddr(s)] = true
		}
		return func(a netip.Addr) bool { return m[a] }
	}
	for _, c := range []struct {
		prefix, start string
		used          []string
		want          string // "" when full
	}{
		{"10.0.0.0/24", "", nil, "10.0.0.1"},
		{"10.0.0.0/24", "", []string{"10.0.0.1", "10.0.0.2"}, "10.0.0.3"},
		{"10.0.0.0/30", "", []string{"10.0.0.1", "10.0.0.2"}, ""}, // .3 is the broadcast
		{"10.0.0.0/31", "", nil, "10.0.0.0"},
		{"10.0.0.0/31", "", []string{"10.0.0.0"}, "10.0.0.1"},
		{"10.0.0.7/32", "", nil, "10.0.0.7"},
		{"10.0.0.0/24", "10.0.0.200", nil, "10.0.0.200"},
		{"10.0.0.0/29", "10.0.0.6", []string{"10.0.0.6"}, "10.0.0.1"}, // wraps
		{"2001:db8::/64", "", nil, "2001:db8::1"},
		{"2001:db8::/127", "", nil, "2001:db8::"},
		{"2001:db8::5/128", "", []string{"2001:db8::5"}, ""},
		{"2001:db8::/126", "", []string{"2001:db8::1", "2001:db8::2"}, "2001:db8::3"}, // no broadcast in IPv6
	} {
		var start netip.Addr
		if c.start != "" {
			start = netip.MustParseAddr(c.start)
		}
		got, ok := NextAddress(netip.MustParsePrefix(c.prefix), start, used(c.used...))
		if (c.want == "") == ok || ok && got.String() != c.want {
			t.Errorf("NextAddress(%s from %q, used %v) = %v %v, want %q", c.prefix, c.start, c.used, got, ok, c.want)
		}
	}
}

func TestNextPrefix(t *testing.T) {
	for _, c := range []struct {
		parent string
		bits   int
		used   []string
		want   string
	}{
		{"10.0.0.0/24", 26, nil, "10.0.0.0/26"},
		{"10.0.0.0/24", 26, []string{"10.0.0.0/26"}, "10.0.0.64/26"},
		{"10.0.0.0/24", 26, []string{"10.0.0.64/28"}, "10.0.0.0/26"},
		{"10.0.0.0/24", 26, []string{"10.0.0.0/28", "10.0.0.64/30"}, "10.0.0.128/26"},
		{"10.0.0.0/24", 25, []string{"10.0.0.0/25", "10.0.0.128/25"}, ""},
		{"10.0.0.0/24", 28, []string{"10.0.0.0/25", "10.0.0.128/27"}, "10.0.0.160/28"},
		{"10.0.0.0/24", 32, []string{"10.0.0.0/25", "10.0.0.128/26", "10.0.0.192/27", "10.0.0.224/28", "10.0.0.240/29", "10.0.0.248/30", "10.0.0.252/31", "10.0.0.254/32"}, "10.0.0.255/32"},
		{"10.0.0.0/24", 16, nil, ""},
		{"2001:db8::/48", 64, []string{"2001:db8::/64"}, "2001:db8:0:1::/64"},
		{"2001:db8::/126", 127, []string{"2001:db8::2/127"}, "2001:db8::/127"},
	} {
		var used []netip.Prefix
		for _, u := range c.used {
			used = append(used, netip.MustParsePrefix(u))
		}
		got, ok := NextPrefix(netip.MustParsePrefix(c.parent), c.bits, used, nil)
		if (c.want == "") == ok || ok && got.String() != c.want {
			t.Errorf("NextPrefix(%s, /%d, used %v) = %v %v, want %q", c.parent, c.bits, c.used, got, ok, c.want)
		}
	}
	// blocked refuses candidates one by one
	got, ok := NextPrefix(netip.MustParsePrefix("10.0.0.0/24"), 26, nil, func(p netip.Prefix) bool { return p.Addr().As4()[3] < 128 })
	if !ok || got.String() != "10.0.0.128/26" {
		t.Errorf("NextPrefix with blocked: %v %v", got, ok)
	}
}
