package schema

import "strings"

// Identifier derives a relationship identifier from the two kinds it links: both lowercased,
// sorted and joined by a double underscore.
func Identifier(kindA, kindZ string) string {
	a, z := strings.ToLower(kindA), strings.ToLower(kindZ)
	if z < a {
		a, z = z, a
	}
	return a + "__" + z
}

// resolveRelationship validates r (declared on owner) and fills its defaults.
func resolveRelationship(ps *problems, r *Relationship, path, owner string) {
	validateElementName(ps, r.Pos, path, r.Name)
	if r.Peer == "" {
		ps.add(r.Pos, path+".peer", "missing")
	}
	if r.State == "" {
		r.State = StatePresent
	}
	if r.Label == "" {
		r.Label = labelOf(r.Name)
	}
	if r.Kind == "" {
		r.Kind = RelGeneric
	}
	switch r.Kind {
	case RelGeneric, RelAttribute, RelComponent, RelParent, RelGroup, RelHierarchy, RelProfile, RelTemplate:
	default:
		ps.add(r.Pos, path+".kind", "unknown relationship kind %q", r.Kind)
	}
	if r.Cardinality == "" {
		r.Cardinality = "many"
	} else if r.Cardinality != "one" && r.Cardinality != "many" {
		ps.add(r.Pos, path+".cardinality", "must be one or many, not %q", r.Cardinality)
	}
	if r.Direction == "" {
		r.Direction = "bidirectional"
	} else if r.Direction != "bidirectional" && r.Direction != "inbound" && r.Direction != "outbound" {
		ps.add(r.Pos, path+".direction", "must be bidirectional, inbound or outbound, not %q", r.Direction)
	}
	if r.OnDelete == "" {
		r.OnDelete = "no-action"
		if r.Kind == RelComponent {
			r.OnDelete = "cascade"
		}
	} else if r.OnDelete != "no-action" && r.OnDelete != "cascade" {
		ps.add(r.Pos, path+".on_delete", "must be no-action or cascade, not %q", r.OnDelete)
	}
	if r.AllowOverride == "" {
		r.AllowOverride = "any"
	} else if r.AllowOverride != "any" && r.AllowOverride != "none" {
		ps.add(r.Pos, path+".allow_override", "must be any or none, not %q", r.AllowOverride)
	}
	if r.Branch != "" && !validBranch(r.Branch) {
		ps.add(r.Pos, path+".branch", "must be aware, agnostic or local, not %q", r.Branch)
	}
	if r.Optional == nil {
		t := true
		r.Optional = &t
	}
	if r.Identifier == "" && r.Peer != "" {
		r.Identifier = Identifier(owner, r.Peer)
	} else if r.Identifier != "" && !elementRe.MatchString(r.Identifier) {
		ps.add(r.Pos, path+".identifier", "%q must match %s", r.Identifier, elementRe)
	}
	if r.Cardinality == "one" && r.MaxCount == 0 {
		r.MaxCount = 1
	}
	if r.Cardinality == "one" && !*r.Optional && r.MinCount == 0 {
		r.MinCount = 1
	}
	if r.Kind == RelParent {
		if r.Cardinality != "one" {
			ps.add(r.Pos, path+".cardinality", "a Parent relationship must have cardinality one")
		}
		if *r.Optional {
			ps.add(r.Pos, path+".optional", "a Parent relationship must not be optional")
		}
	}
	switch {
	case r.MinCount < 0:
		ps.add(r.Pos, path+".min_count", "must not be negative")
	case r.MaxCount < 0:
		ps.add(r.Pos, path+".max_count", "must not be negative")
	case r.Cardinality == "one" && r.MaxCount > 1:
		ps.add(r.Pos, path+".max_count", "%d is not allowed with cardinality one", r.MaxCount)
	case r.Cardinality == "one" && r.MinCount > 1:
		ps.add(r.Pos, path+".min_count", "%d is not allowed with cardinality one", r.MinCount)
	case r.MaxCount > 0 && r.MinCount > r.MaxCount:
		ps.add(r.Pos, path+".min_count", "min_count %d is greater than max_count %d", r.MinCount, r.MaxCount)
	case *r.Optional && r.MinCount > 0:
		ps.add(r.Pos, path+".min_count", "min_count %d requires optional: false", r.MinCount)
	}
}
