package core

import (
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// The tests in this package read the files with a plain YAML library into
// generic maps; they do not depend on the schema parser of package schema.

type element map[string]any

type kindDef struct {
	Kind    string
	File    string
	FileIdx int
	Generic bool
	Raw     element
}

func str(m element, key string) string {
	s, _ := m[key].(string)
	return s
}

func boolean(m element, key string, def bool) bool {
	if b, ok := m[key].(bool); ok {
		return b
	}
	return def
}

func list(m element, key string) []element {
	raw, _ := m[key].([]any)
	out := make([]element, 0, len(raw))
	for _, r := range raw {
		if mm, ok := r.(map[string]any); ok {
			out = append(out, element(mm))
		}
	}
	return out
}

func strList(m element, key string) []string {
	raw, _ := m[key].([]any)
	out := make([]string, 0, len(raw))
	for _, r := range raw {
		s, _ := r.(string)
		out = append(out, s)
	}
	return out
}

func strListList(m element, key string) [][]string {
	raw, _ := m[key].([]any)
	var out [][]string
	for _, r := range raw {
		inner, _ := r.([]any)
		var row []string
		for _, x := range inner {
			s, _ := x.(string)
			row = append(row, s)
		}
		out = append(out, row)
	}
	return out
}

func parseFile(t *testing.T, f File) element {
	t.Helper()
	var doc map[string]any
	if err := yaml.Unmarshal(f.Data, &doc); err != nil {
		t.Fatalf("%s: %v", f.Name, err)
	}
	return element(doc)
}

// loadKinds parses every file and returns the kinds by name and in order.
// Duplicates are reported as errors.
func loadKinds(t *testing.T) (map[string]*kindDef, []*kindDef) {
	t.Helper()
	byKind := map[string]*kindDef{}
	var ordered []*kindDef
	for i, f := range Files() {
		doc := parseFile(t, f)
		for _, section := range []string{"generics", "nodes"} {
			for j, el := range list(doc, section) {
				kind := str(el, "namespace") + str(el, "name")
				if prev, dup := byKind[kind]; dup {
					t.Errorf("%s: %s[%d]: kind %s already defined in %s", f.Name, section, j, kind, prev.File)
					continue
				}
				k := &kindDef{Kind: kind, File: f.Name, FileIdx: i, Generic: section == "generics", Raw: el}
				byKind[kind] = k
				ordered = append(ordered, k)
			}
		}
	}
	return byKind, ordered
}

// ancestors returns the generics a kind inherits from, transitively, in
// inheritance order.
func ancestors(byKind map[string]*kindDef, k *kindDef) []*kindDef {
	var out []*kindDef
	seen := map[string]bool{}
	var walk func(*kindDef)
	walk = func(cur *kindDef) {
		for _, g := range strList(cur.Raw, "inherit_from") {
			if seen[g] {
				continue
			}
			seen[g] = true
			if gk, ok := byKind[g]; ok {
				out = append(out, gk)
				walk(gk)
			}
		}
	}
	walk(k)
	return out
}

// isA reports whether kind a is kind b or inherits from it.
func isA(byKind map[string]*kindDef, a, b string) bool {
	if a == b {
		return true
	}
	ka, ok := byKind[a]
	if !ok {
		return false
	}
	for _, g := range ancestors(byKind, ka) {
		if g.Kind == b {
			return true
		}
	}
	return false
}

// resolved returns the attributes or relationships of a kind including the
// inherited ones (own elements win over inherited ones of the same name).
func resolved(byKind map[string]*kindDef, k *kindDef, section string) map[string]element {
	out := map[string]element{}
	for _, el := range list(k.Raw, section) {
		out[str(el, "name")] = el
	}
	for _, g := range ancestors(byKind, k) {
		for _, el := range list(g.Raw, section) {
			if _, ok := out[str(el, "name")]; !ok {
				out[str(el, "name")] = el
			}
		}
	}
	return out
}

func isHierarchical(byKind map[string]*kindDef, k *kindDef) bool {
	if boolean(k.Raw, "hierarchical", false) || str(k.Raw, "parent") != "" || str(k.Raw, "children") != "" {
		return true
	}
	for _, g := range ancestors(byKind, k) {
		if boolean(g.Raw, "hierarchical", false) {
			return true
		}
	}
	return false
}

func TestFilesAreEmbeddedAndOrdered(t *testing.T) {
	embedded, err := fs.Glob(files, "*.yml")
	if err != nil {
		t.Fatal(err)
	}
	var listed []string
	for _, f := range Files() {
		if len(f.Data) == 0 {
			t.Errorf("%s: empty", f.Name)
		}
		listed = append(listed, f.Name)
	}
	sort.Strings(embedded)
	sorted := slices.Clone(listed)
	sort.Strings(sorted)
	if !slices.Equal(embedded, sorted) {
		t.Errorf("Files() lists %v, embedded files are %v", listed, embedded)
	}
	// Fresh copies: modifying one result must not affect the next.
	a := Files()
	a[0].Data[0] = 'X'
	if b := Files(); b[0].Data[0] == 'X' {
		// embed.FS.ReadFile returns a copy, keep it that way.
		t.Errorf("Files() returns shared data")
	}
}

func TestFilesVersionAndTopLevelKeys(t *testing.T) {
	for _, f := range Files() {
		doc := parseFile(t, f)
		v, ok := doc["version"].(string)
		if !ok || v != "1.0" {
			t.Errorf("%s: version = %#v, want string \"1.0\"", f.Name, doc["version"])
		}
		for key := range doc {
			switch key {
			case "version", "generics", "nodes":
			default:
				t.Errorf("%s: unexpected top-level key %q", f.Name, key)
			}
		}
		if len(list(doc, "generics"))+len(list(doc, "nodes")) == 0 {
			t.Errorf("%s: defines no kind", f.Name)
		}
	}
}

var (
	nodeKeys = set("name", "namespace", "description", "label", "branch", "inherit_from", "attributes",
		"relationships", "human_friendly_id", "uniqueness_constraints", "display_label", "display_labels",
		"order_by", "default_filter", "include_in_menu", "menu_placement", "icon", "generate_profile",
		"generate_template", "hierarchical", "parent", "children", "restricted_namespaces", "documentation")
	attributeKeys = set("name", "kind", "optional", "unique", "default_value", "read_only", "label",
		"description", "order_weight", "choices", "enum", "parameters", "branch", "allow_override",
		"deprecation", "state", "computed_attribute")
	relationshipKeys = set("name", "peer", "kind", "cardinality", "optional", "identifier", "direction",
		"on_delete", "branch", "read_only", "min_count", "max_count", "label", "description",
		"order_weight", "hierarchical", "common_parent", "allow_override")
	attributeKinds = set("ID", "Text", "TextArea", "Number", "NumberPool", "Boolean", "Checkbox", "Dropdown",
		"DateTime", "Email", "Password", "HashedPassword", "URL", "File", "MacAddress", "Color", "Bandwidth",
		"IPHost", "IPNetwork", "IPAddress", "List", "JSON", "Any")
	relationshipKinds = set("Generic", "Attribute", "Component", "Parent")
	branchValues      = set("aware", "agnostic", "local")

	namespaceRe = regexp.MustCompile(`^[A-Z][a-z0-9]+$`)
	nameRe      = regexp.MustCompile(`^[A-Z][a-zA-Z0-9]+$`)
	elementRe   = regexp.MustCompile(`^[a-z0-9][a-z0-9_]*$`)
)

func set(items ...string) map[string]bool {
	m := map[string]bool{}
	for _, i := range items {
		m[i] = true
	}
	return m
}

func TestKindsWellFormed(t *testing.T) {
	byKind, ordered := loadKinds(t)
	reserved := set("Core", "Builtin", "Lineage", "Internal", "Ipam")
	for _, k := range ordered {
		where := k.File + ": " + k.Kind
		ns, name := str(k.Raw, "namespace"), str(k.Raw, "name")
		if !namespaceRe.MatchString(ns) || len(ns) < 3 || len(ns) > 64 {
			t.Errorf("%s: bad namespace %q", where, ns)
		}
		if !reserved[ns] {
			t.Errorf("%s: namespace %q is not a built-in namespace", where, ns)
		}
		if !nameRe.MatchString(name) || len(name) < 2 || len(name) > 32 {
			t.Errorf("%s: bad name %q", where, name)
		}
		for key := range k.Raw {
			if !nodeKeys[key] {
				t.Errorf("%s: unknown key %q", where, key)
			}
			if k.Generic && (key == "inherit_from" || key == "parent" || key == "children") {
				t.Errorf("%s: generics take no %q", where, key)
			}
		}
		if b := str(k.Raw, "branch"); b != "" && !branchValues[b] {
			t.Errorf("%s.branch: bad value %q", where, b)
		}
		seen := map[string]string{}
		for _, a := range list(k.Raw, "attributes") {
			an := str(a, "name")
			w := fmt.Sprintf("%s.attributes[%s]", where, an)
			if !elementRe.MatchString(an) {
				t.Errorf("%s: bad name", w)
			}
			if seen[an] != "" {
				t.Errorf("%s: duplicate name", w)
			}
			seen[an] = "attribute"
			for key := range a {
				if !attributeKeys[key] {
					t.Errorf("%s: unknown key %q", w, key)
				}
			}
			if !attributeKinds[str(a, "kind")] {
				t.Errorf("%s.kind: unknown kind %q", w, str(a, "kind"))
			}
			if b := str(a, "branch"); b != "" && !branchValues[b] {
				t.Errorf("%s.branch: bad value %q", w, b)
			}
			if ao := str(a, "allow_override"); ao != "" && ao != "none" && ao != "any" {
				t.Errorf("%s.allow_override: bad value %q", w, ao)
			}
			choices := list(a, "choices")
			if (str(a, "kind") == "Dropdown") != (len(choices) > 0) {
				t.Errorf("%s: choices are required for Dropdown and only for it", w)
			}
			if def, ok := a["default_value"]; ok {
				var allowed []any
				for _, c := range choices {
					allowed = append(allowed, c["name"])
				}
				if e, ok := a["enum"].([]any); ok {
					allowed = append(allowed, e...)
				}
				if len(allowed) > 0 && !slices.Contains(allowed, def) {
					t.Errorf("%s.default_value: %v is not among %v", w, def, allowed)
				}
			}
		}
		for _, r := range list(k.Raw, "relationships") {
			rn := str(r, "name")
			w := fmt.Sprintf("%s.relationships[%s]", where, rn)
			if !elementRe.MatchString(rn) {
				t.Errorf("%s: bad name", w)
			}
			if seen[rn] != "" {
				t.Errorf("%s: name already used by an %s", w, seen[rn])
			}
			seen[rn] = "relationship"
			for key := range r {
				if !relationshipKeys[key] {
					t.Errorf("%s: unknown key %q", w, key)
				}
			}
			if !relationshipKinds[str(r, "kind")] {
				t.Errorf("%s.kind: %q (kind is written out; internal kinds are added by the engine)", w, str(r, "kind"))
			}
			if c := str(r, "cardinality"); c != "one" && c != "many" {
				t.Errorf("%s.cardinality: %q (write it out)", w, c)
			}
			if _, ok := r["optional"].(bool); !ok {
				t.Errorf("%s.optional: write it out", w)
			}
			if str(r, "identifier") == "" {
				t.Errorf("%s.identifier: write it out (Infrahub's identifiers are not all derivable)", w)
			}
			if str(r, "kind") == "Parent" && (str(r, "cardinality") != "one" || boolean(r, "optional", true)) {
				t.Errorf("%s: Parent relationships are mandatory and of cardinality one", w)
			}
			if str(r, "kind") == "Component" && str(r, "on_delete") != "cascade" {
				t.Errorf("%s: Component relationships cascade on delete", w)
			}
			if b := str(r, "branch"); b != "" && !branchValues[b] {
				t.Errorf("%s.branch: bad value %q", w, b)
			}
		}
		// Inherited elements must not clash in kind with own elements.
		for _, g := range ancestors(byKind, k) {
			for _, sec := range []string{"attributes", "relationships"} {
				for _, el := range list(g.Raw, sec) {
					n := str(el, "name")
					if own := seen[n]; own != "" && own+"s" != sec {
						t.Errorf("%s: %s %q clashes with the %s inherited from %s", where, own, n, sec, g.Kind)
					}
				}
			}
		}
	}
}

func TestReferencesResolve(t *testing.T) {
	byKind, ordered := loadKinds(t)
	for _, k := range ordered {
		where := k.File + ": " + k.Kind
		for _, g := range strList(k.Raw, "inherit_from") {
			gk, ok := byKind[g]
			switch {
			case !ok:
				t.Errorf("%s.inherit_from: unknown kind %q", where, g)
			case !gk.Generic:
				t.Errorf("%s.inherit_from: %q is a node, not a generic", where, g)
			case gk.FileIdx > k.FileIdx:
				t.Errorf("%s.inherit_from: %q is defined in the later file %s", where, g, gk.File)
			}
		}
		for _, key := range []string{"parent", "children"} {
			if p := str(k.Raw, key); p != "" {
				if _, ok := byKind[p]; !ok {
					t.Errorf("%s.%s: unknown kind %q", where, key, p)
				}
			}
		}
		for _, r := range list(k.Raw, "relationships") {
			if _, ok := byKind[str(r, "peer")]; !ok {
				t.Errorf("%s.relationships[%s].peer: unknown kind %q", where, str(r, "name"), str(r, "peer"))
			}
		}
	}
}

// Each side of a relationship pair (same identifier) must point at the other.
func TestRelationshipIdentifiersPair(t *testing.T) {
	byKind, ordered := loadKinds(t)
	type side struct {
		owner string
		rel   element
	}
	byID := map[string][]side{}
	for _, k := range ordered {
		for _, r := range list(k.Raw, "relationships") {
			byID[str(r, "identifier")] = append(byID[str(r, "identifier")], side{k.Kind, r})
		}
	}
	related := func(a, b string) bool { return isA(byKind, a, b) || isA(byKind, b, a) }
	for id, sides := range byID {
		for i, a := range sides {
			for _, b := range sides[i+1:] {
				if !related(b.owner, str(a.rel, "peer")) || !related(a.owner, str(b.rel, "peer")) {
					t.Errorf("identifier %s: %s.%s (peer %s) and %s.%s (peer %s) do not point at each other",
						id, a.owner, str(a.rel, "name"), str(a.rel, "peer"), b.owner, str(b.rel, "name"), str(b.rel, "peer"))
				}
			}
		}
	}
}

// human_friendly_id, uniqueness_constraints, order_by, display_label(s) and
// default_filter must name attributes (or card-one relationships) that exist.
func TestPathsNameExistingElements(t *testing.T) {
	byKind, ordered := loadKinds(t)
	attrProps := set("value", "version", "binary_address", "prefixlen")
	for _, k := range ordered {
		where := k.File + ": " + k.Kind
		attrs := resolved(byKind, k, "attributes")
		rels := resolved(byKind, k, "relationships")
		check := func(prop, path string) {
			parts := strings.Split(path, "__")
			switch {
			case len(parts) == 2:
				if _, ok := attrs[parts[0]]; !ok || !attrProps[parts[1]] {
					t.Errorf("%s.%s: %q names no attribute property", where, prop, path)
				}
			case len(parts) == 3:
				r, ok := rels[parts[0]]
				if !ok || str(r, "cardinality") != "one" {
					t.Errorf("%s.%s: %q names no cardinality-one relationship", where, prop, path)
				}
			default:
				t.Errorf("%s.%s: malformed path %q", where, prop, path)
			}
		}
		var paths [][2]string
		for _, p := range strList(k.Raw, "human_friendly_id") {
			paths = append(paths, [2]string{"human_friendly_id", p})
		}
		for _, row := range strListList(k.Raw, "uniqueness_constraints") {
			for _, p := range row {
				paths = append(paths, [2]string{"uniqueness_constraints", p})
			}
		}
		for _, p := range strList(k.Raw, "order_by") {
			paths = append(paths, [2]string{"order_by", p})
		}
		for _, p := range strList(k.Raw, "display_labels") {
			paths = append(paths, [2]string{"display_labels", p})
		}
		if p := str(k.Raw, "display_label"); p != "" {
			paths = append(paths, [2]string{"display_label", p})
		}
		if p := str(k.Raw, "default_filter"); p != "" {
			paths = append(paths, [2]string{"default_filter", p})
		}
		for _, p := range paths {
			check(p[0], p[1])
		}
		if hfid := strList(k.Raw, "human_friendly_id"); len(hfid) > 0 {
			if !slices.ContainsFunc(strListList(k.Raw, "uniqueness_constraints"), func(row []string) bool {
				return slices.Equal(row, hfid)
			}) {
				t.Errorf("%s: human_friendly_id %v has no matching uniqueness constraint", where, hfid)
			}
		}
	}
}

// The kinds issue 3 and appendix B of the spec require.
func TestRequiredKindsPresent(t *testing.T) {
	byKind, _ := loadKinds(t)
	required := []string{
		"CoreNode", "LineageOwner", "LineageSource", "CoreTaskTarget",
		"CoreGroup", "CoreStandardGroup", "CoreGeneratorGroup", "CoreGraphQLQueryGroup", "BuiltinTag",
		"CoreGenericAccount", "CoreAccount", "CoreAccountGroup", "CoreAccountRole", "CoreBasePermission",
		"CoreGlobalPermission", "CoreObjectPermission", "CoreCredential", "CorePasswordCredential",
		"InternalAccountToken", "InternalRefreshToken",
		"CoreGenericRepository", "CoreRepository", "CoreReadOnlyRepository", "CoreGraphQLQuery",
		"CoreTransformation", "CoreTransformJinja2", "CoreTransformPython",
		"CoreArtifactTarget", "CoreArtifact", "CoreArtifactDefinition",
		"CoreCheckDefinition", "CoreGeneratorDefinition", "CoreGeneratorInstance",
		"CoreProposedChange", "CoreThread", "CoreChangeThread", "CoreFileThread", "CoreArtifactThread",
		"CoreObjectThread", "CoreComment", "CoreChangeComment", "CoreThreadComment",
		"CoreValidator", "CoreDataValidator", "CoreRepositoryValidator", "CoreUserValidator",
		"CoreSchemaValidator", "CoreArtifactValidator", "CoreGeneratorValidator",
		"CoreCheck", "CoreDataCheck", "CoreStandardCheck", "CoreSchemaCheck", "CoreFileCheck",
		"CoreArtifactCheck", "CoreGeneratorCheck",
		"BuiltinIPPrefix", "BuiltinIPAddress", "BuiltinIPNamespace", "IpamNamespace",
		"CoreResourcePool", "CoreNumberPool", "CoreIPPrefixPool", "CoreIPAddressPool",
		"CoreMenu", "CoreMenuItem", "CoreWebhook", "CoreStandardWebhook", "CoreCustomWebhook",
		"CoreProfile", "CoreObjectTemplate", "CoreObjectComponentTemplate", "CoreFileObject",
		"CoreKeyValue", "CoreStaticKeyValue", "CoreEnvKeyValue",
		"CoreTriggerRule", "CoreNodeTriggerRule", "CoreGroupTriggerRule", "CoreNodeTriggerMatch",
		"CoreNodeTriggerAttributeMatch", "CoreNodeTriggerRelationshipMatch",
		"CoreAction", "CoreGroupAction", "CoreGeneratorAction",
	}
	for _, k := range required {
		if _, ok := byKind[k]; !ok {
			t.Errorf("missing kind %s", k)
		}
	}
}
