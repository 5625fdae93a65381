package core

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
)

// dumpPath is the GET /api/schema answer of a real Infrahub, kept in the
// shared corpus (see ../shared/corpus/README.md from the project root).
var dumpPath = filepath.Join("..", "..", "..", "shared", "corpus",
	"infrahub-demo-service-catalog", "tests", "fixtures", "schemas", "schema01.json")

// knownDifferences lists every place where these files knowingly differ from
// the dump, with the reason. Keys:
//
//	Kind                         kind defined here but absent from the dump
//	Kind.attributes[name]        attribute here but not in the dump
//	Kind.relationships[name]     relationship here but not in the dump
//	Kind.<element>[name].<prop>  property that differs
//	Kind.<prop>                  kind-level property that differs
//
// The test fails on any difference not listed and on any listed difference
// that no longer occurs.
var knownDifferences = map[string]string{
	"InternalAccountToken": "Internal namespace: Infrahub leaves it out of GET /api/schema; needed for API tokens (spec appendix B)",
	"InternalRefreshToken": "Internal namespace: Infrahub leaves it out of GET /api/schema; needed for login sessions (spec appendix B)",
	"CoreGenericAccount.relationships[tokens]": "Infrahub's own (core_generic_account), kept out of GET /api/schema " +
		"with its Internal peer, so not in the dump; here with on_delete cascade",
	"CoreAccount.relationships[tokens]": "inherited from CoreGenericAccount (above)",
	"CoreFileObject":                    "added in Infrahub 1.8, after the dump; schema-library extensions/circuit_contract inherits from it",
	"CoreGlobalPermission.attributes[action].choices": "adds the actions of newer Infrahub (review_proposed_change, which " +
		"infrahub-demo-service-catalog/permissions.yml grants, rebase_branch, manage_global_preferences, " +
		"update_object_hfid_display_label): authz.Globals",
}

// Webhooks, key values, triggers and actions follow the Infrahub of issue 20
// (backend/infrahub/core/schema/definitions/core/webhook.py, key_value.py,
// backend/infrahub/actions/schema.py), newer than the dump.
func init() {
	const newer = "newer Infrahub (issue 20): webhook.py"
	for _, k := range []string{"CoreWebhook", "CoreStandardWebhook", "CoreCustomWebhook"} {
		knownDifferences[k+".attributes[event_type].optional"] = newer + " leaves event_type mandatory (default all)"
		knownDifferences[k+".attributes[branch_scope].optional"] = newer + " makes branch_scope mandatory"
		knownDifferences[k+".attributes[validate_certificates].default_value"] = newer + " has no default"
		knownDifferences[k+".attributes[active]"] = newer + " adds active"
		knownDifferences[k+".relationships[headers]"] = newer + " adds headers (CoreKeyValue)"
	}
	knownDifferences["CoreCustomWebhook.attributes[shared_key]"] = newer + " adds an optional shared_key to custom webhooks"
	for _, k := range []string{"CoreKeyValue", "CoreStaticKeyValue", "CoreEnvKeyValue"} {
		knownDifferences[k] = "newer Infrahub (issue 20): key_value.py, the custom headers of webhooks"
	}
	for _, k := range []string{"CoreTriggerRule", "CoreAction", "CoreNodeTriggerMatch", "CoreGeneratorAction",
		"CoreGroupAction", "CoreNodeTriggerRule", "CoreNodeTriggerAttributeMatch",
		"CoreNodeTriggerRelationshipMatch", "CoreGroupTriggerRule"} {
		knownDifferences[k] = "newer Infrahub (issue 20): backend/infrahub/actions/schema.py"
	}
}

// Relationship kinds Infrahub adds by itself; the engine generates them from
// the node (member_of_groups/subscriber_of_groups on every node, profiles
// when a profile is generated, parent/children on hierarchical kinds).
var generatedRelKinds = map[string]bool{"Group": true, "Profile": true, "Hierarchy": true, "Template": true}

type dumpElement struct {
	Name        string `json:"name"`
	Kind        string `json:"kind"`
	Peer        string `json:"peer"`
	Cardinality string `json:"cardinality"`
	Optional    bool   `json:"optional"`
	Unique      bool   `json:"unique"`
	ReadOnly    bool   `json:"read_only"`
	Identifier  string `json:"identifier"`
	Inherited   bool   `json:"inherited"`

	DefaultValue  any                     `json:"default_value"`
	Enum          []any                   `json:"enum"`
	Choices       []struct{ Name string } `json:"choices"`
	Regex         *string                 `json:"regex"`
	MinLength     *int                    `json:"min_length"`
	MaxLength     *int                    `json:"max_length"`
	AllowOverride string                  `json:"allow_override"`
	Branch        string                  `json:"branch"`
	Direction     string                  `json:"direction"`
	OnDelete      string                  `json:"on_delete"`
}

type dumpKind struct {
	Namespace             string        `json:"namespace"`
	Name                  string        `json:"name"`
	Kind                  string        `json:"kind"`
	Branch                string        `json:"branch"`
	InheritFrom           []string      `json:"inherit_from"`
	HumanFriendlyID       []string      `json:"human_friendly_id"`
	UniquenessConstraints [][]string    `json:"uniqueness_constraints"`
	Hierarchical          bool          `json:"hierarchical"`
	Attributes            []dumpElement `json:"attributes"`
	Relationships         []dumpElement `json:"relationships"`
}

type dump struct {
	Nodes    []dumpKind `json:"nodes"`
	Generics []dumpKind `json:"generics"`
	Profiles []dumpKind `json:"profiles"`
}

func isCoreKind(k dumpKind) bool {
	switch k.Namespace {
	case "Core", "Builtin", "Lineage":
		return true
	}
	return k.Kind == "IpamNamespace"
}

func TestMatchesInfrahubDump(t *testing.T) {
	data, err := os.ReadFile(dumpPath)
	if err != nil {
		t.Skipf("corpus not available: %v", err)
	}
	var d dump
	if err := json.Unmarshal(data, &d); err != nil {
		t.Fatal(err)
	}
	byKind, ordered := loadKinds(t)

	found := map[string]bool{}
	diff := func(key, format string, args ...any) {
		if _, ok := knownDifferences[key]; ok {
			found[key] = true
			return
		}
		t.Errorf("%s: %s", key, fmt.Sprintf(format, args...))
	}

	profiles := map[string]bool{}
	for _, p := range d.Profiles {
		profiles[strings.TrimPrefix(p.Kind, "Profile")] = true
	}

	inDump := map[string]bool{}
	compared := 0
	for _, group := range []struct {
		kinds   []dumpKind
		generic bool
	}{{d.Generics, true}, {d.Nodes, false}} {
		for _, dk := range group.kinds {
			if !isCoreKind(dk) {
				continue
			}
			inDump[dk.Kind] = true
			k, ok := byKind[dk.Kind]
			if !ok {
				diff(dk.Kind, "in the dump but not defined here")
				continue
			}
			compared++
			if k.Generic != group.generic {
				diff(dk.Kind+".generic", "generic here = %v, in the dump = %v", k.Generic, group.generic)
			}
			compareKind(t, byKind, k, dk, profiles[dk.Kind], diff)
		}
	}
	for _, k := range ordered {
		if !inDump[k.Kind] {
			diff(k.Kind, "defined here but not in the dump")
		}
	}
	for key := range knownDifferences {
		if !found[key] {
			t.Errorf("knownDifferences[%q] no longer occurs; remove it", key)
		}
	}
	if compared < 50 {
		t.Errorf("compared only %d core kinds with the dump", compared)
	}
	t.Logf("compared %d core kinds with %s", compared, filepath.Base(dumpPath))
}

func compareKind(t *testing.T, byKind map[string]*kindDef, k *kindDef, dk dumpKind, hasProfile bool,
	diff func(key, format string, args ...any)) {
	t.Helper()
	raw := k.Raw
	branch := str(raw, "branch")
	if branch == "" {
		branch = "aware"
	}
	if branch != dk.Branch {
		diff(dk.Kind+".branch", "%q here, %q in the dump", branch, dk.Branch)
	}
	if got := strList(raw, "inherit_from"); !slices.Equal(got, dk.InheritFrom) && !(len(got) == 0 && len(dk.InheritFrom) == 0) {
		diff(dk.Kind+".inherit_from", "%v here, %v in the dump", got, dk.InheritFrom)
	}
	if got := strList(raw, "human_friendly_id"); !slices.Equal(got, dk.HumanFriendlyID) {
		diff(dk.Kind+".human_friendly_id", "%v here, %v in the dump", got, dk.HumanFriendlyID)
	}
	if got := strListList(raw, "uniqueness_constraints"); !equalConstraints(got, dk.UniquenessConstraints) {
		diff(dk.Kind+".uniqueness_constraints", "%v here, %v in the dump", got, dk.UniquenessConstraints)
	}
	if got := boolean(raw, "generate_profile", true); got != hasProfile {
		diff(dk.Kind+".generate_profile", "%v here, but the dump has Profile%s = %v", got, dk.Kind, hasProfile)
	}

	// Attributes, including inherited ones (the dump lists them on each node).
	attrs := resolved(byKind, k, "attributes")
	seen := map[string]bool{}
	for _, da := range dk.Attributes {
		seen[da.Name] = true
		key := fmt.Sprintf("%s.attributes[%s]", dk.Kind, da.Name)
		a, ok := attrs[da.Name]
		if !ok {
			diff(key, "in the dump (%s) but not here", da.Kind)
			continue
		}
		if str(a, "kind") != da.Kind {
			diff(key+".kind", "%q here, %q in the dump", str(a, "kind"), da.Kind)
		}
		if got := boolean(a, "optional", false); got != da.Optional {
			diff(key+".optional", "%v here, %v in the dump", got, da.Optional)
		}
		if got := boolean(a, "unique", false); got != da.Unique {
			diff(key+".unique", "%v here, %v in the dump", got, da.Unique)
		}
		if got := boolean(a, "read_only", false); got != da.ReadOnly {
			diff(key+".read_only", "%v here, %v in the dump", got, da.ReadOnly)
		}
		if got := a["default_value"]; !sameScalar(got, da.DefaultValue) {
			diff(key+".default_value", "%v here, %v in the dump", got, da.DefaultValue)
		}
		var enum []string
		for _, e := range anyList(a["enum"]) {
			enum = append(enum, fmt.Sprint(e))
		}
		var dumpEnum []string
		for _, e := range da.Enum {
			dumpEnum = append(dumpEnum, fmt.Sprint(e))
		}
		if !sameSet(enum, dumpEnum) {
			diff(key+".enum", "%v here, %v in the dump", enum, dumpEnum)
		}
		var choices, dumpChoices []string
		for _, c := range list(a, "choices") {
			choices = append(choices, str(c, "name"))
		}
		for _, c := range da.Choices {
			dumpChoices = append(dumpChoices, c.Name)
		}
		if !sameSet(choices, dumpChoices) {
			diff(key+".choices", "%v here, %v in the dump", choices, dumpChoices)
		}
		params, _ := a["parameters"].(map[string]any)
		if got, want := fmt.Sprint(params["regex"]), deref(da.Regex); got != want {
			diff(key+".parameters.regex", "%s here, %s in the dump", got, want)
		}
		if got, want := fmt.Sprint(params["min_length"]), deref(da.MinLength); got != want {
			diff(key+".parameters.min_length", "%s here, %s in the dump", got, want)
		}
		if got, want := fmt.Sprint(params["max_length"]), deref(da.MaxLength); got != want {
			diff(key+".parameters.max_length", "%s here, %s in the dump", got, want)
		}
		if got := orDefault(str(a, "allow_override"), "any"); got != da.AllowOverride {
			diff(key+".allow_override", "%q here, %q in the dump", got, da.AllowOverride)
		}
		// Attributes follow the branch support of the kind that holds them
		// (inherited ones that of the inheriting kind) unless they set their own.
		if got := orDefault(str(a, "branch"), branch); got != da.Branch {
			diff(key+".branch", "%q here, %q in the dump", got, da.Branch)
		}
	}
	for _, name := range sortedKeys(attrs) {
		if !seen[name] {
			diff(fmt.Sprintf("%s.attributes[%s]", dk.Kind, name), "defined here but not in the dump")
		}
	}

	// Relationships, leaving out those the engine generates.
	rels := resolved(byKind, k, "relationships")
	seen = map[string]bool{}
	hierarchy := false
	for _, dr := range dk.Relationships {
		if generatedRelKinds[dr.Kind] {
			if dr.Kind == "Hierarchy" {
				hierarchy = true
			}
			continue
		}
		seen[dr.Name] = true
		key := fmt.Sprintf("%s.relationships[%s]", dk.Kind, dr.Name)
		r, ok := rels[dr.Name]
		if !ok {
			diff(key, "in the dump (peer %s) but not here", dr.Peer)
			continue
		}
		for _, p := range [][3]string{
			{"peer", str(r, "peer"), dr.Peer},
			{"kind", str(r, "kind"), dr.Kind},
			{"cardinality", str(r, "cardinality"), dr.Cardinality},
			{"identifier", str(r, "identifier"), dr.Identifier},
			{"direction", orDefault(str(r, "direction"), "bidirectional"), dr.Direction},
			{"on_delete", orDefault(str(r, "on_delete"), "no-action"), dr.OnDelete},
			{"allow_override", orDefault(str(r, "allow_override"), "any"), dr.AllowOverride},
			{"branch", relBranch(byKind, branch, r), dr.Branch},
		} {
			if p[1] != p[2] {
				diff(key+"."+p[0], "%q here, %q in the dump", p[1], p[2])
			}
		}
		if got := boolean(r, "optional", true); got != dr.Optional {
			diff(key+".optional", "%v here, %v in the dump", got, dr.Optional)
		}
		if got := boolean(r, "read_only", false); got != dr.ReadOnly {
			diff(key+".read_only", "%v here, %v in the dump", got, dr.ReadOnly)
		}
	}
	for _, name := range sortedKeys(rels) {
		if !seen[name] {
			diff(fmt.Sprintf("%s.relationships[%s]", dk.Kind, name), "defined here but not in the dump")
		}
	}
	if got := isHierarchical(byKind, k); got != hierarchy {
		diff(dk.Kind+".hierarchical", "hierarchical here = %v, dump has parent/children = %v", got, hierarchy)
	}
}

func equalConstraints(a, b [][]string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !slices.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

func sortedKeys(m map[string]element) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// relBranch is the branch support of a relationship: its own when set,
// otherwise local if either end is local, agnostic if both ends are
// agnostic, aware else.
func relBranch(byKind map[string]*kindDef, ownerBranch string, r element) string {
	if b := str(r, "branch"); b != "" {
		return b
	}
	peerBranch := "aware"
	if p, ok := byKind[str(r, "peer")]; ok {
		peerBranch = orDefault(str(p.Raw, "branch"), "aware")
	}
	switch {
	case ownerBranch == "local" || peerBranch == "local":
		return "local"
	case ownerBranch == "agnostic" && peerBranch == "agnostic":
		return "agnostic"
	}
	return "aware"
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func deref[T any](p *T) string {
	if p == nil {
		return fmt.Sprint(nil)
	}
	return fmt.Sprint(*p)
}

func anyList(v any) []any {
	l, _ := v.([]any)
	return l
}

// sameScalar compares a YAML default with a JSON one; false and absent are
// the same (Infrahub reports false booleans as null or false alike), and
// numbers compare by value.
func sameScalar(a, b any) bool {
	norm := func(v any) string {
		switch x := v.(type) {
		case nil:
			return "<nil>"
		case bool:
			if !x {
				return "<nil>"
			}
		case float64:
			return fmt.Sprint(x)
		case int:
			return fmt.Sprint(float64(x))
		}
		return fmt.Sprint(v)
	}
	return norm(a) == norm(b)
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	sort.Strings(a)
	sort.Strings(b)
	return slices.Equal(a, b)
}
