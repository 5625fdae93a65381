package schema

import (
	"go.yaml.in/yaml/v3"
)

// Declared returns what users declared (generics and nodes outside the reserved namespaces, with
// their extensions merged) as one schema file: loading it on top of the built-in schema gives
// the same schema again. It is what `infrahub schema export` prints.
func (s *Set) Declared() *File {
	f := &File{Name: "export", Version: "1.0"}
	for _, k := range sortedKeys(s.declGenerics) {
		if g := s.declGenerics[k]; !isReservedNamespace(g.Namespace) {
			f.Generics = append(f.Generics, g)
		}
	}
	for _, k := range sortedKeys(s.declNodes) {
		if n := s.declNodes[k]; !isReservedNamespace(n.Namespace) {
			f.Nodes = append(f.Nodes, n)
		}
	}
	return f
}

// YAML writes f as a schema file, leaving out the properties that are not set.
func (f *File) YAML() ([]byte, error) {
	raw, err := yaml.Marshal(f)
	if err != nil {
		return nil, err
	}
	var doc any
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, err
	}
	return yaml.Marshal(prune(doc))
}

// meaningfulEmpty lists properties whose empty string means something: `parent: ""` makes a
// hierarchy's root kind.
var meaningfulEmpty = map[string]bool{"parent": true, "children": true}

// prune drops nulls, empty strings and empty lists and mappings; false and 0 stay, since some
// defaults are true (a relationship is optional unless it says otherwise).
func prune(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			e = prune(e)
			if _, isText := e.(string); empty(e) && !(isText && meaningfulEmpty[k]) {
				delete(t, k)
				continue
			}
			t[k] = e
		}
		return t
	case []any:
		out := t[:0]
		for _, e := range t {
			if e = prune(e); !empty(e) {
				out = append(out, e)
			}
		}
		return out
	}
	return v
}

func empty(v any) bool {
	switch t := v.(type) {
	case nil:
		return true
	case string:
		return t == ""
	case []any:
		return len(t) == 0
	case map[string]any:
		return len(t) == 0
	}
	return false
}
