package schema

import (
	"encoding/json"
	"reflect"
)

// Changes lists what changed between two resolved sets.
type Changes struct {
	Added   []string   `json:"added,omitempty"`
	Removed []string   `json:"removed,omitempty"`
	Changed []KindDiff `json:"changed,omitempty"`
}

// KindDiff lists what changed in one kind.
type KindDiff struct {
	Kind       string   `json:"kind"`
	Properties []string `json:"properties,omitempty"`
	Added      []string `json:"added,omitempty"`
	Removed    []string `json:"removed,omitempty"`
	Changed    []string `json:"changed,omitempty"`
}

// Empty reports whether the diff holds no change.
func (d Changes) Empty() bool { return len(d.Added)+len(d.Removed)+len(d.Changed) == 0 }

// Diff compares two resolved sets (either may be nil). Elements are named
// "attributes.<name>" and "relationships.<name>".
func Diff(old, new *Set) Changes {
	var d Changes
	ok, nk := kindsOf(old), kindsOf(new)
	for _, k := range sortedKeys(nk) {
		if _, in := ok[k]; !in {
			d.Added = append(d.Added, k)
		}
	}
	for _, k := range sortedKeys(ok) {
		if _, in := nk[k]; !in {
			d.Removed = append(d.Removed, k)
			continue
		}
		if kd, changed := diffKind(k, old, new); changed {
			d.Changed = append(d.Changed, kd)
		}
	}
	return d
}

func kindsOf(s *Set) map[string]bool {
	out := map[string]bool{}
	if s == nil {
		return out
	}
	for _, k := range s.Kinds() {
		out[k] = true
	}
	return out
}

// flat returns a kind's properties as JSON values, without its elements and hash.
func flat(s *Set, kind string) (map[string]json.RawMessage, *Model) {
	var v any
	var m *Model
	if n, ok := s.Node(kind); ok {
		v, m = n, &n.Model
	} else if g, ok := s.generics[kind]; ok {
		v, m = g, &g.Model
	}
	b, _ := json.Marshal(v)
	out := map[string]json.RawMessage{}
	_ = json.Unmarshal(b, &out)
	for _, k := range []string{"attributes", "relationships", "hash", "used_by"} {
		delete(out, k)
	}
	return out, m
}

func diffKind(kind string, old, new *Set) (KindDiff, bool) {
	kd := KindDiff{Kind: kind}
	of, om := flat(old, kind)
	nf, nm := flat(new, kind)
	keys := map[string]bool{}
	for k := range of {
		keys[k] = true
	}
	for k := range nf {
		keys[k] = true
	}
	for _, k := range sortedKeys(keys) {
		if string(of[k]) != string(nf[k]) {
			kd.Properties = append(kd.Properties, k)
		}
	}
	oe, ne := elements(om), elements(nm)
	for _, k := range sortedKeys(ne) {
		if o, in := oe[k]; !in {
			kd.Added = append(kd.Added, k)
		} else if !reflect.DeepEqual(o, ne[k]) {
			kd.Changed = append(kd.Changed, k)
		}
	}
	for _, k := range sortedKeys(oe) {
		if _, in := ne[k]; !in {
			kd.Removed = append(kd.Removed, k)
		}
	}
	return kd, len(kd.Properties)+len(kd.Added)+len(kd.Removed)+len(kd.Changed) > 0
}

func elements(m *Model) map[string]string {
	out := map[string]string{}
	for _, a := range m.Attributes {
		b, _ := json.Marshal(a)
		out["attributes."+a.Name] = string(b)
	}
	for _, r := range m.Relationships {
		b, _ := json.Marshal(r)
		out["relationships."+r.Name] = string(b)
	}
	return out
}
