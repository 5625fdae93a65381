package schema

import "encoding/json"

// APIDiff is what a schema load changes in Infrahub's shape (HashableModelDiff in
// backend/infrahub/core/models.py), as POST /api/schema/load and /api/schema/check answer it:
// at the top, the kinds added, changed and removed; under a changed kind, its changed
// properties (null) and "attributes" and "relationships" with the elements added, changed and
// removed; under a changed element, its changed properties (null). A diff with nothing in it
// is {"added": {}, "changed": {}, "removed": {}}.
type APIDiff struct {
	Added   map[string]*APIDiff `json:"added"`
	Changed map[string]*APIDiff `json:"changed"`
	Removed map[string]*APIDiff `json:"removed"`
}

// Empty reports whether the diff holds no change.
func (d *APIDiff) Empty() bool { return len(d.Added)+len(d.Changed)+len(d.Removed) == 0 }

func newAPIDiff() *APIDiff {
	return &APIDiff{Added: map[string]*APIDiff{}, Changed: map[string]*APIDiff{}, Removed: map[string]*APIDiff{}}
}

// DiffAPI compares the nodes and generics of two resolved sets (either may be nil) as Infrahub
// does; the generated profiles and templates follow their kinds and are not listed.
func DiffAPI(old, new *Set) *APIDiff {
	d := newAPIDiff()
	ok, nk := declaredKinds(old), declaredKinds(new)
	for _, k := range sortedKeys(nk) {
		if !ok[k] {
			d.Added[k] = newAPIDiff()
		}
	}
	for _, k := range sortedKeys(ok) {
		if !nk[k] {
			d.Removed[k] = newAPIDiff()
			continue
		}
		if kd := diffKindAPI(k, old, new); !kd.Empty() {
			d.Changed[k] = kd
		}
	}
	return d
}

// declaredKinds lists the nodes and generics of a set, not the generated ones.
func declaredKinds(s *Set) map[string]bool {
	out := map[string]bool{}
	if s == nil {
		return out
	}
	for k := range s.nodes {
		out[k] = true
	}
	for k, g := range s.generics {
		if g.Namespace != "Template" { // templates of generics are generics too
			out[k] = true
		}
	}
	return out
}

func keysOf[V any](m map[string]V) map[string]bool {
	out := make(map[string]bool, len(m))
	for k := range m {
		out[k] = true
	}
	return out
}

func diffKindAPI(kind string, old, new *Set) *APIDiff {
	kd := newAPIDiff()
	of, om := flat(old, kind)
	nf, nm := flat(new, kind)
	for _, k := range sortedKeys(union(of, nf)) {
		if string(of[k]) != string(nf[k]) {
			kd.Changed[k] = nil
		}
	}
	for _, group := range []struct {
		name     string
		old, new map[string]map[string]json.RawMessage
	}{
		{"attributes", elementProps(attributeJSON(om)), elementProps(attributeJSON(nm))},
		{"relationships", elementProps(relationshipJSON(om)), elementProps(relationshipJSON(nm))},
	} {
		gd := newAPIDiff()
		for _, name := range sortedKeys(union(group.old, group.new)) {
			o, inOld := group.old[name]
			n, inNew := group.new[name]
			switch {
			case !inOld:
				gd.Added[name] = nil
			case !inNew:
				gd.Removed[name] = nil
			default:
				ed := newAPIDiff()
				for _, p := range sortedKeys(union(o, n)) {
					if string(o[p]) != string(n[p]) {
						ed.Changed[p] = nil
					}
				}
				if !ed.Empty() {
					gd.Changed[name] = ed
				}
			}
		}
		if !gd.Empty() {
			kd.Changed[group.name] = gd
		}
	}
	return kd
}

func union[V any](a, b map[string]V) map[string]bool {
	out := keysOf(a)
	for k := range b {
		out[k] = true
	}
	return out
}

func attributeJSON(m *Model) map[string]any {
	out := map[string]any{}
	for _, a := range m.Attributes {
		out[a.Name] = a
	}
	return out
}

func relationshipJSON(m *Model) map[string]any {
	out := map[string]any{}
	for _, r := range m.Relationships {
		out[r.Name] = r
	}
	return out
}

// elementProps returns each element's properties as JSON values.
func elementProps(elems map[string]any) map[string]map[string]json.RawMessage {
	out := make(map[string]map[string]json.RawMessage, len(elems))
	for name, e := range elems {
		b, _ := json.Marshal(e)
		props := map[string]json.RawMessage{}
		_ = json.Unmarshal(b, &props)
		out[name] = props
	}
	return out
}
