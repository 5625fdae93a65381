package values

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"

	"github.com/infrahub-go/infrahub/schema"
)

// parseInterface reads an address with an optional prefix length ("10.0.0.1/24", "2001:db8::1",
// or with a dotted IPv4 netmask "10.0.0.1/255.255.255.0" as Python's ipaddress accepts). Without
// a prefix length the address stands alone (/32 or /128). Zones are refused.
func parseInterface(s string) (netip.Prefix, error) {
	addrPart, lenPart, hasLen := strings.Cut(s, "/")
	addr, err := netip.ParseAddr(addrPart)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("not an IP address")
	}
	if addr.Zone() != "" {
		return netip.Prefix{}, fmt.Errorf("an address with a zone is not accepted")
	}
	if !hasLen {
		return netip.PrefixFrom(addr, addr.BitLen()), nil
	}
	bits := -1
	if addr.Is4() && strings.Contains(lenPart, ".") {
		if m, err := netip.ParseAddr(lenPart); err == nil && m.Is4() {
			b := m.As4()
			if ones, total := net.IPv4Mask(b[0], b[1], b[2], b[3]).Size(); total == 32 {
				bits = ones
			}
		}
	} else if n, err := strconv.Atoi(lenPart); err == nil && lenPart == strconv.Itoa(n) {
		bits = n
	}
	if bits < 0 || bits > addr.BitLen() {
		return netip.Prefix{}, fmt.Errorf("invalid prefix length %q", lenPart)
	}
	return netip.PrefixFrom(addr, bits), nil
}

// ipHost checks an IPHost value: an address with an optional prefix length, stored as
// "10.0.0.1/24" (IPv6 compressed, lower case).
func ipHost(a *schema.Attribute, v any) (any, error) {
	s, err := str(a, v)
	if err != nil {
		return nil, err
	}
	p, perr := parseInterface(strings.TrimSpace(s))
	if perr != nil {
		return nil, fail(a, v, "%q is not a valid IP host (address with optional prefix length): %v", s, perr)
	}
	return p.String(), nil
}

// ipNetwork checks an IPNetwork value: a network whose host bits are zero, stored as
// "10.0.0.0/24".
func ipNetwork(a *schema.Attribute, v any) (any, error) {
	s, err := str(a, v)
	if err != nil {
		return nil, err
	}
	p, perr := parseInterface(strings.TrimSpace(s))
	if perr != nil {
		return nil, fail(a, v, "%q is not a valid IP network: %v", s, perr)
	}
	if m := p.Masked(); m != p {
		return nil, fail(a, v, "%q is not a valid IP network: host bits are set (the network is %s)", s, m)
	}
	return p.String(), nil
}

// ipAddress checks an IPAddress value: a bare address, stored canonically.
func ipAddress(a *schema.Attribute, v any) (any, error) {
	s, err := str(a, v)
	if err != nil {
		return nil, err
	}
	s2 := strings.TrimSpace(s)
	if strings.Contains(s2, "/") {
		return nil, fail(a, v, "%q is not a bare IP address: no prefix length allowed", s)
	}
	p, perr := parseInterface(s2)
	if perr != nil {
		return nil, fail(a, v, "%q is not a valid IP address: %v", s, perr)
	}
	return p.Addr().String(), nil
}

// macAddress checks a MacAddress value (48 bits) in the common notations: aa:bb:cc:dd:ee:ff,
// aa-bb-cc-dd-ee-ff (one-digit groups allowed), aabb.ccdd.eeff, aabbcc:ddeeff, aabbcc-ddeeff and
// aabbccddeeff, any case; stored as aa:bb:cc:dd:ee:ff in lower case.
func macAddress(a *schema.Attribute, v any) (any, error) {
	s, err := str(a, v)
	if err != nil {
		return nil, err
	}
	hw, ok := parseMAC(strings.TrimSpace(s))
	if !ok {
		return nil, fail(a, v, "%q is not a valid MAC address (e.g. aa:bb:cc:dd:ee:ff)", s)
	}
	return hw, nil
}

func parseMAC(s string) (string, bool) {
	var groups []string
	var width int // digits per group; 0 = one or two
	switch {
	case strings.Count(s, ":") == 5 && !strings.Contains(s, "-"):
		groups = strings.Split(s, ":")
	case strings.Count(s, "-") == 5 && !strings.Contains(s, ":"):
		groups = strings.Split(s, "-")
	case strings.Count(s, ".") == 2 && !strings.ContainsAny(s, ":-"):
		groups, width = strings.Split(s, "."), 4
	case strings.Count(s, ":")+strings.Count(s, "-") == 1:
		groups, width = strings.FieldsFunc(s, func(r rune) bool { return r == ':' || r == '-' }), 6
		if len(groups) != 2 {
			return "", false
		}
	case len(s) == 12:
		groups, width = []string{s}, 12
	default:
		return "", false
	}
	var hex strings.Builder
	for _, g := range groups {
		if width == 0 && (len(g) < 1 || len(g) > 2) || width != 0 && len(g) != width {
			return "", false
		}
		for i := 0; i < len(g); i++ {
			if !isHex(g[i]) {
				return "", false
			}
		}
		if len(g) == 1 {
			hex.WriteByte('0')
		}
		hex.WriteString(g)
	}
	h := strings.ToLower(hex.String())
	if len(h) != 12 {
		return "", false
	}
	var out strings.Builder
	for i := 0; i < 12; i += 2 {
		if i > 0 {
			out.WriteByte(':')
		}
		out.WriteString(h[i : i+2])
	}
	return out.String(), true
}
