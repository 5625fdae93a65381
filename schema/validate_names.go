package schema

import (
	"regexp"
	"strings"
)

var (
	nameRe      = regexp.MustCompile(`^[A-Z][a-zA-Z0-9]+$`)
	namespaceRe = regexp.MustCompile(`^[A-Z][a-z0-9]+$`)
	elementRe   = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
)

func isReservedNamespace(ns string) bool {
	switch ns {
	case "Core", "Infrahub", "Profile", "Builtin", "Template", "Internal", "Lineage", "Schema":
		return true
	}
	return false
}

// isReservedElementName reports names that attributes and relationships may not take because
// the data API uses them.
func isReservedElementName(n string) bool {
	switch n {
	case "id", "hfid", "display_label", "attribute", "attributes", "relationship", "relationships",
		"process_pools", "typename":
		return true
	}
	return false
}

// validateModelName checks name and namespace; false when the kind cannot be used at all.
func validateModelName(ps *problems, m *Model, path string, builtin bool) bool {
	ok := true
	switch {
	case m.Name == "":
		ps.add(m.Pos, path+".name", "missing")
		ok = false
	case len(m.Name) < 2 || len(m.Name) > 32:
		ps.add(m.Pos, path+".name", "%q must be 2 to 32 characters long", m.Name)
	case !nameRe.MatchString(m.Name):
		ps.add(m.Pos, path+".name", "%q must match %s", m.Name, nameRe)
	}
	switch {
	case m.Namespace == "":
		ps.add(m.Pos, path+".namespace", "missing")
		ok = false
	case len(m.Namespace) < 3 || len(m.Namespace) > 64:
		ps.add(m.Pos, path+".namespace", "%q must be 3 to 64 characters long", m.Namespace)
	case !namespaceRe.MatchString(m.Namespace):
		ps.add(m.Pos, path+".namespace", "%q must match %s", m.Namespace, namespaceRe)
	case !builtin && isReservedNamespace(m.Namespace):
		ps.add(m.Pos, path+".namespace", "%q is a reserved namespace", m.Namespace)
	}
	if m.State != "" && m.State != StatePresent && m.State != StateAbsent {
		ps.add(m.Pos, path+".state", "must be present or absent, not %q", m.State)
	}
	if m.Branch != "" && !validBranch(m.Branch) {
		ps.add(m.Pos, path+".branch", "must be aware, agnostic or local, not %q", m.Branch)
	}
	return ok
}

func validBranch(b string) bool {
	return b == BranchAware || b == BranchAgnostic || b == BranchLocal
}

// validateElementName checks an attribute or relationship name.
func validateElementName(ps *problems, pos Pos, path, name string) {
	switch {
	case name == "":
		ps.add(pos, path+".name", "missing")
	case len(name) > 64:
		ps.add(pos, path+".name", "%q is longer than 64 characters", name)
	case !elementRe.MatchString(name):
		ps.add(pos, path+".name", "%q must match %s", name, elementRe)
	case strings.Contains(name, "__"):
		ps.add(pos, path+".name", "%q must not contain a double underscore", name)
	case isReservedElementName(name):
		ps.add(pos, path+".name", "%q is a reserved name", name)
	}
}
