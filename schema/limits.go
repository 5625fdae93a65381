package schema

import (
	"fmt"

	"github.com/infrahub-go/infrahub/limits"
)

// CheckLimits refuses, before they are loaded, schema files holding a description longer than
// lim.DescriptionBytes (of a node, generic, attribute, relationship or dropdown choice), or that
// would give base more than lim.SchemaKinds nodes and generics together. Its error names the
// file, the line, the element, the limit and its variable (limits.ErrExceeded). Infrahub itself
// keeps schema descriptions to 128 characters; the default bound is far above every real schema.
func CheckLimits(base *Set, files []*File, lim limits.Limits) error {
	for _, f := range files {
		if err := checkDescriptions(f, lim.DescriptionBytes); err != nil {
			return err
		}
	}
	kinds := map[string]bool{}
	if base != nil {
		for k := range base.nodes {
			kinds[k] = true
		}
		for k := range base.generics {
			kinds[k] = true
		}
	}
	for _, f := range files {
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
		if len(kinds) > lim.SchemaKinds {
			return fmt.Errorf("%s: %w", f.Name, limits.Exceeded("nodes and generics of the branch's schema", int64(len(kinds)),
				int64(lim.SchemaKinds), limits.Setting("SchemaKinds")))
		}
	}
	return nil
}

// checkDescriptions refuses the first description of f longer than bound.
func checkDescriptions(f *File, bound int) error {
	check := func(pos Pos, path string, d *string) error {
		if d == nil || len(*d) <= bound {
			return nil
		}
		where := f.Name
		if pos.Line > 0 {
			where = fmt.Sprintf("%s:%d", f.Name, pos.Line)
		}
		return fmt.Errorf("%s: %s: %w", where, path, limits.Exceeded("description in bytes", int64(len(*d)), int64(bound), limits.Setting("DescriptionBytes")))
	}
	elements := func(kind string, attrs []*Attribute, rels []*Relationship) error {
		for _, a := range attrs {
			if a == nil {
				continue
			}
			if err := check(a.Pos, kind+"."+a.Name+".description", a.Description); err != nil {
				return err
			}
			for _, c := range a.Choices {
				if c != nil {
					if err := check(a.Pos, kind+"."+a.Name+".choices."+c.Name+".description", c.Description); err != nil {
						return err
					}
				}
			}
		}
		for _, r := range rels {
			if r == nil {
				continue
			}
			if err := check(r.Pos, kind+"."+r.Name+".description", r.Description); err != nil {
				return err
			}
		}
		return nil
	}
	models := make([]*Model, 0, len(f.Generics)+len(f.Nodes))
	for _, g := range f.Generics {
		if g != nil {
			models = append(models, &g.Model)
		}
	}
	for _, n := range f.Nodes {
		if n != nil {
			models = append(models, &n.Model)
		}
	}
	for _, m := range models {
		kind := m.Namespace + m.Name
		if err := check(m.Pos, kind+".description", m.Description); err != nil {
			return err
		}
		if err := elements(kind, m.Attributes, m.Relationships); err != nil {
			return err
		}
	}
	if f.Extensions != nil {
		for _, e := range f.Extensions.Nodes {
			if e != nil {
				if err := elements(e.Kind, e.Attributes, e.Relationships); err != nil {
					return err
				}
			}
		}
	}
	return nil
}
