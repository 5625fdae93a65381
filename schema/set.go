package schema

import (
	"sort"
)

// Set is a resolved schema: the declared models of every load so far and what they resolve to
// (inheritance applied, defaults filled, profiles and templates generated). A Set is immutable once
// returned; Load builds a new one.
type Set struct {
	declNodes    map[string]*Node
	declGenerics map[string]*Generic

	nodes     map[string]*Node
	generics  map[string]*Generic
	profiles  map[string]*Node
	templates map[string]*Node
	hash      string
	// jinja holds the parsed Jinja2 templates of the set (computed attributes, display labels)
	// by source; filled while the set is loaded, read-only after
	jinja map[string]*Template
	// peerReads lists, per attribute name, the computed attributes reading it on a peer
	peerReads map[string][]PeerRead
	// warnings are what the load that built the set accepted but reports (Warnings)
	warnings []Warning
}

// Load validates files together on top of base (nil for an empty schema) and returns the new
// resolved set. Elements not listed in files are untouched; an element with state absent is
// removed; an element given with the id of an existing one renames it. Every problem found is
// returned at once in an *Error. Reserved namespaces are refused for user kinds.
func Load(base *Set, files ...*File) (*Set, error) {
	return load(base, false, files)
}

// LoadBuiltin loads the built-in (core) schema, for which reserved namespaces are allowed.
func LoadBuiltin(base *Set, files ...*File) (*Set, error) {
	return load(base, true, files)
}

// builder is the load pipeline of a Set: it applies declarations, resolves inheritance and
// extensions, generates profiles and templates, and validates; the Set it builds is read-only
// afterwards.
type builder struct{ s *Set }

func load(base *Set, builtin bool, files []*File) (*Set, error) {
	s := &Set{declNodes: map[string]*Node{}, declGenerics: map[string]*Generic{}}
	b := builder{s}
	if base != nil {
		for k, n := range base.declNodes {
			s.declNodes[k] = n
		}
		for k, g := range base.declGenerics {
			s.declGenerics[k] = g
		}
	}
	ps := &problems{}
	for _, f := range files {
		if f == nil {
			continue
		}
		for i, g := range f.Generics {
			if g == nil {
				continue
			}
			b.applyGeneric(ps, cloneGeneric(g), builtin, i)
		}
		for i, n := range f.Nodes {
			if n == nil {
				continue
			}
			b.applyNode(ps, cloneNode(n), builtin, i)
		}
	}
	for _, f := range files {
		if f == nil || f.Extensions == nil {
			continue
		}
		for _, e := range f.Extensions.Nodes {
			if e != nil {
				b.applyExtension(ps, e)
			}
		}
	}
	b.resolve(ps)
	if err := ps.err(); err != nil {
		return nil, err
	}
	b.keepWarnings(files)
	return s, nil
}

// Nodes returns the resolved nodes sorted by kind.
func (s *Set) Nodes() []*Node { return sortedNodes(s.nodes) }

// Generics returns the resolved generics sorted by kind.
func (s *Set) Generics() []*Generic {
	out := make([]*Generic, 0, len(s.generics))
	for _, k := range sortedKeys(s.generics) {
		out = append(out, s.generics[k])
	}
	return out
}

// Profiles returns the generated profile kinds sorted by kind.
func (s *Set) Profiles() []*Node { return sortedNodes(s.profiles) }

// Templates returns the generated template kinds sorted by kind.
func (s *Set) Templates() []*Node { return sortedNodes(s.templates) }

// Node returns a resolved node, profile or template by kind.
func (s *Set) Node(kind string) (*Node, bool) {
	for _, m := range []map[string]*Node{s.nodes, s.profiles, s.templates} {
		if n, ok := m[kind]; ok {
			return n, true
		}
	}
	return nil, false
}

// Generic returns a resolved generic by kind.
func (s *Set) Generic(kind string) (*Generic, bool) {
	g, ok := s.generics[kind]
	return g, ok
}

// Model returns the shared part of any kind of the set.
func (s *Set) Model(kind string) (*Model, bool) {
	if n, ok := s.Node(kind); ok {
		return &n.Model, true
	}
	if g, ok := s.generics[kind]; ok {
		return &g.Model, true
	}
	return nil, false
}

// Kinds returns every kind of the set, sorted.
func (s *Set) Kinds() []string {
	var out []string
	for _, m := range []map[string]*Node{s.nodes, s.profiles, s.templates} {
		out = append(out, sortedKeys(m)...)
	}
	out = append(out, sortedKeys(s.generics)...)
	sort.Strings(out)
	return out
}

// Namespaces returns the namespaces used by the set, sorted.
func (s *Set) Namespaces() []string {
	seen := map[string]bool{}
	for _, k := range s.Kinds() {
		if m, ok := s.Model(k); ok {
			seen[m.Namespace] = true
		}
	}
	return sortedKeys(seen)
}

func sortedNodes(m map[string]*Node) []*Node {
	out := make([]*Node, 0, len(m))
	for _, k := range sortedKeys(m) {
		out = append(out, m[k])
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
