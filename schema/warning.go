package schema

import (
	"fmt"
	"slices"
)

// WarningDeprecation is the type of every Warning: Infrahub's clients parse the type of a schema
// warning as an enumeration whose one value is "deprecation" (infrahub_sdk/schema,
// SchemaWarningType), so a warning of another type would fail their parsing of the whole answer.
const WarningDeprecation = "deprecation"

// Warning is something a load accepts but reports, in the shape of Infrahub's SchemaWarning
// (type, kinds, message), with the file and line of the declaration it is about.
type Warning struct {
	Type    string        `json:"type"`
	Kinds   []WarningKind `json:"kinds"`
	Message string        `json:"message"`
	File    string        `json:"file,omitempty"`
	Line    int           `json:"line,omitempty"`
}

// WarningKind names the kind, and the field of it when there is one, that a Warning is about.
type WarningKind struct {
	Kind  string  `json:"kind"`
	Field *string `json:"field"`
}

// Warnings returns what the load that built s accepted but reports, about the kinds its files
// declared or extended; never nil.
func (s *Set) Warnings() []Warning {
	if s.warnings == nil {
		return []Warning{}
	}
	return slices.Clone(s.warnings)
}

func (b builder) warn(m *Model, field, format string, args ...any) {
	var f *string
	if field != "" {
		f = &field
	}
	b.s.warnings = append(b.s.warnings, Warning{Type: WarningDeprecation, Kinds: []WarningKind{{Kind: m.Kind, Field: f}},
		Message: fmt.Sprintf(format, args...), File: m.Pos.File, Line: m.Pos.Line})
}

// checkMenuPlacements warns about every declared menu_placement that names no kind of the set.
// Infrahub accepts them (a menu item of that name may exist, loaded from a menu file) and lists
// the kind under its default menu when nothing of that name is found.
func (b builder) checkMenuPlacements() {
	s := b.s
	var models []*Model
	for _, k := range sortedKeys(s.generics) {
		models = append(models, &s.generics[k].Model)
	}
	for _, k := range sortedKeys(s.nodes) {
		models = append(models, &s.nodes[k].Model)
	}
	for _, m := range models {
		mp := declaredMenuPlacement(s, m.Kind)
		if mp == "" {
			continue
		}
		if _, ok := s.Model(mp); !ok {
			b.warn(m, "menu_placement", "menu_placement %q names no kind of the schema: unless a menu item of that name exists, the menu lists %s under its default entry", mp, m.Kind)
		}
	}
}

// declaredMenuPlacement is the menu_placement kind's own declaration gives (not one it inherits).
func declaredMenuPlacement(s *Set, kind string) string {
	var mp *string
	if n, ok := s.declNodes[kind]; ok {
		mp = n.MenuPlacement
	} else if g, ok := s.declGenerics[kind]; ok {
		mp = g.MenuPlacement
	}
	if mp == nil {
		return ""
	}
	return *mp
}

// keepWarnings drops the warnings about kinds the files neither declare nor extend.
func (b builder) keepWarnings(files []*File) {
	kinds := map[string]bool{}
	for _, f := range files {
		if f == nil {
			continue
		}
		for _, g := range f.Generics {
			if g != nil {
				kinds[g.Namespace+g.Name] = true
			}
		}
		for _, n := range f.Nodes {
			if n != nil {
				kinds[n.Namespace+n.Name] = true
			}
		}
		if f.Extensions != nil {
			for _, e := range f.Extensions.Nodes {
				if e != nil {
					kinds[e.Kind] = true
				}
			}
		}
	}
	b.s.warnings = slices.DeleteFunc(b.s.warnings, func(w Warning) bool {
		return len(w.Kinds) > 0 && !kinds[w.Kinds[0].Kind]
	})
}
