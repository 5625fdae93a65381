package graphql

import (
	"fmt"
	"math/big"
	"net/netip"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/infrahub-go/infrahub/authz"
	"github.com/infrahub-go/infrahub/commands/values"
	"github.com/infrahub-go/infrahub/projections/graph"
	"github.com/infrahub-go/infrahub/schema"
)

// attribute writes an attribute object: value, its properties and its kind's extra fields.
func (e *exec) attribute(w *jsonWriter, f *ast.Field, a *schema.Attribute, v graph.Attribute, n graph.Node) {
	typ := attrTypeOf(a.Kind).object
	w.beginObject()
	for _, sf := range e.sel.collect(f.SelectionSet, typ) {
		w.key(keyOf(sf))
		switch sf.Name {
		case "__typename":
			w.value(typ)
		case "value":
			if values.Secret(n.Kind, a) || values.Hidden(n.Kind, a.Name, v.Value) {
				w.null() // a password hash or a token digest is never answered
			} else {
				w.value(v.Value)
			}
		case "id":
			w.value(n.ID + ":" + a.Name)
		case "is_default":
			w.value(v.IsDefault)
		case "is_protected":
			w.value(v.IsProtected)
		case "is_visible":
			w.value(true)
		case "is_from_profile":
			w.value(v.IsFromProfile)
		case "is_inherited":
			w.value(false)
		case "updated_at":
			w.value(n.UpdatedAt)
		case "source", "owner":
			id := v.Source
			if sf.Name == "owner" {
				id = v.Owner
			}
			e.lineageNode(w, sf, id)
		case "permissions":
			e.plain(w, sf.SelectionSet, "PermissionType", map[string]any{"update_value": string(e.decide(n.Kind, authz.Update))}, nil)
		default:
			w.value(extra(a, v.Value, sf.Name))
		}
		w.valueDone()
	}
	w.endObject()
}

// lineageNode writes the source or owner of a value: the node, read by id.
func (e *exec) lineageNode(w *jsonWriter, f *ast.Field, id string) {
	if id == "" {
		w.null()
		return
	}
	n, err := e.x.Graph.Get(e.ctx, e.scope, id)
	if err != nil {
		e.plain(w, f.SelectionSet, "", map[string]any{"id": id}, nil)
		return
	}
	e.node(w, f.SelectionSet, n, nil, nil)
}

// extra computes the kind-specific fields of Dropdown, IPHost, IPNetwork and MacAddress.
func extra(a *schema.Attribute, value any, field string) any {
	s, ok := value.(string)
	if !ok || s == "" {
		return nil
	}
	switch a.Kind {
	case "Dropdown":
		for _, c := range a.Choices {
			if c.Name != s {
				continue
			}
			switch field {
			case "label":
				if c.Label != nil {
					return *c.Label
				}
				return strings.ToUpper(s[:1]) + strings.ReplaceAll(s[1:], "_", " ")
			case "color":
				return deref(c.Color)
			case "description":
				return deref(c.Description)
			}
		}
	case "IPHost":
		return ipHostField(s, field)
	case "IPNetwork":
		return ipNetworkField(s, field)
	case "MacAddress":
		return macField(s, field)
	}
	return nil
}

func deref(p *string) any {
	if p == nil {
		return nil
	}
	return *p
}

func version(a netip.Addr) int {
	if a.Is4() {
		return 4
	}
	return 6
}

// masks returns the netmask and hostmask of a prefix length.
func masks(bits, length int) (netmask, hostmask netip.Addr) {
	b := make([]byte, bits/8)
	for i := range b {
		switch {
		case length >= (i+1)*8:
			b[i] = 0xff
		case length > i*8:
			b[i] = byte(0xff << (8 - (length - i*8)))
		}
	}
	h := make([]byte, len(b))
	for i := range b {
		h[i] = ^b[i]
	}
	netmask, _ = netip.AddrFromSlice(b)
	hostmask, _ = netip.AddrFromSlice(h)
	return netmask, hostmask
}

func ipHostField(s, field string) any {
	p, err := netip.ParsePrefix(s)
	if err != nil {
		a, aerr := netip.ParseAddr(s)
		if aerr != nil {
			return nil
		}
		p = netip.PrefixFrom(a, a.BitLen())
	}
	nm, hm := masks(p.Addr().BitLen(), p.Bits())
	switch field {
	case "ip":
		return p.Addr().String()
	case "prefixlen":
		return p.Bits()
	case "version":
		return version(p.Addr())
	case "netmask":
		return nm.String()
	case "hostmask":
		return hm.String()
	case "with_netmask":
		return p.Addr().String() + "/" + nm.String()
	case "with_hostmask":
		return p.Addr().String() + "/" + hm.String()
	}
	return nil
}

func ipNetworkField(s, field string) any {
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return nil
	}
	p = p.Masked()
	nm, hm := masks(p.Addr().BitLen(), p.Bits())
	switch field {
	case "prefixlen":
		return p.Bits()
	case "version":
		return version(p.Addr())
	case "netmask":
		return nm.String()
	case "hostmask":
		return hm.String()
	case "with_netmask":
		return p.Addr().String() + "/" + nm.String()
	case "with_hostmask":
		return p.Addr().String() + "/" + hm.String()
	case "num_addresses":
		n := new(big.Int).Lsh(big.NewInt(1), uint(p.Addr().BitLen()-p.Bits()))
		if n.IsInt64() {
			return n.Int64()
		}
		return n.String()
	case "broadcast_address":
		b := p.Addr().AsSlice()
		h := hm.AsSlice()
		for i := range b {
			b[i] |= h[i]
		}
		a, _ := netip.AddrFromSlice(b)
		return a.String()
	}
	return nil
}

// macField formats a MAC address (stored as aa:bb:cc:dd:ee:ff) the ways Infrahub offers.
func macField(s, field string) any {
	hexs := strings.NewReplacer(":", "", "-", "", ".", "").Replace(strings.ToLower(s))
	if len(hexs) != 12 {
		return nil
	}
	pairs := make([]string, 6)
	for i := range pairs {
		pairs[i] = hexs[2*i : 2*i+2]
	}
	switch field {
	case "oui":
		return strings.ToUpper(strings.Join(pairs[:3], "-"))
	case "ei":
		return strings.ToUpper(strings.Join(pairs[3:], "-"))
	case "version":
		return 48
	case "bare":
		return strings.ToUpper(hexs)
	case "semicolon_notation":
		return strings.Join(pairs, ":")
	case "split_notation":
		return hexs[:6] + ":" + hexs[6:]
	case "dot_notation":
		return hexs[:4] + "." + hexs[4:8] + "." + hexs[8:]
	case "eui48":
		return strings.ToUpper(strings.Join(pairs, "-"))
	case "eui64":
		return strings.ToUpper(strings.Join(pairs[:3], "-") + "-FF-FE-" + strings.Join(pairs[3:], "-"))
	case "binary":
		var b strings.Builder
		for i := 0; i < 12; i += 2 {
			var x byte
			_, _ = fmt.Sscanf(hexs[i:i+2], "%02x", &x)
			fmt.Fprintf(&b, "%08b", x)
		}
		return "0b" + b.String()
	}
	return nil
}
