package main

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// groupMembers answers the ids of the members of group id, sorted.
func groupMembers(t *testing.T, base, id string) []string {
	t.Helper()
	data := gqlData(t, base, `query($id: [ID]) { CoreStandardGroup(ids: $id) { edges { node { members { edges { node { id } } } } } } }`,
		map[string]any{"id": []string{id}})
	edges, _ := dig(data, "CoreStandardGroup", "edges").([]any)
	if len(edges) != 1 {
		t.Fatalf("group %s: %v", id, data)
	}
	var out []string
	for _, e := range dig(edges[0], "node", "members", "edges").([]any) {
		out = append(out, dig(e, "node", "id").(string))
	}
	slices.Sort(out)
	return out
}

// Triggers and actions end to end on a running server (issue 20, acceptance 2): a
// CoreNodeTriggerRule on updates of HookDevice on the default branch with a
// CoreNodeTriggerAttributeMatch (status from "planned" to "active", value_full) and a
// CoreGroupAction adds exactly the devices whose change matches to the group (other
// attributes, other transitions, creations and other branches do nothing); a
// CoreGroupTriggerRule on that group with a CoreGeneratorAction then fails its task with a
// clear reason (no generator runtime here) for each member added.
func TestTriggerRulesAndActions(t *testing.T) {
	c := startChild(t, freeAddr(t), hookEnv(t))
	postCommand(t, c.base, "schema.load", map[string]any{"schemas": []string{hookSchema}})

	group := create(t, c.base, "main", "CoreStandardGroup", `name: {value: "active-devices"}`)
	action := create(t, c.base, "main", "CoreGroupAction", fmt.Sprintf(`name: {value: "add-to-active"}, add_members: {value: true}, group: {id: %q}`, group))
	rule := create(t, c.base, "main", "CoreNodeTriggerRule", fmt.Sprintf(`name: {value: "device-activated"}, node_kind: {value: "HookDevice"},
		mutation_action: {value: "updated"}, branch_scope: {value: "default_branch"}, action: {id: %q}`, action))
	create(t, c.base, "main", "CoreNodeTriggerAttributeMatch", fmt.Sprintf(`attribute_name: {value: "status"}, value: {value: "active"},
		value_previous: {value: "planned"}, value_match: {value: "value_full"}, trigger: {id: %q}`, rule))

	// The generator action: a generator definition needs a query, a repository and targets.
	query := create(t, c.base, "main", "CoreGraphQLQuery", `name: {value: "devices"}, query: {value: "query { HookDevice { edges { node { id } } } }"}`)
	repo := create(t, c.base, "main", "CoreReadOnlyRepository", `name: {value: "generators"}, location: {value: "file:///nonexistent/generators.git"}, ref: {value: "main"}`)
	gen := create(t, c.base, "main", "CoreGeneratorDefinition", fmt.Sprintf(`name: {value: "device-config"}, file_path: {value: "generators/device.py"},
		class_name: {value: "DeviceGenerator"}, parameters: {value: {}}, query: {id: %q}, repository: {id: %q}, targets: {id: %q}`, query, repo, group))
	genAction := create(t, c.base, "main", "CoreGeneratorAction", fmt.Sprintf(`name: {value: "run-device-config"}, generator: {id: %q}`, gen))
	create(t, c.base, "main", "CoreGroupTriggerRule", fmt.Sprintf(`name: {value: "on-activation"}, members_added: {value: true},
		group: {id: %q}, action: {id: %q}`, group, genAction))

	dev := map[string]string{}
	for _, n := range []string{"d1", "d2", "d3", "d5"} {
		dev[n] = create(t, c.base, "main", "HookDevice", fmt.Sprintf(`name: {value: %q}, status: {value: "planned"}`, n))
	}
	gqlOn(t, c.base, "main", `mutation { BranchCreate(data: {name: "feat", sync_with_git: false}, wait_until_completion: true) { ok } }`, nil)

	update(t, c.base, "main", "HookDevice", dev["d1"], `status: {value: "active"}`)                       // matches
	update(t, c.base, "main", "HookDevice", dev["d2"], `status: {value: "maintenance"}`)                  // other value
	update(t, c.base, "main", "HookDevice", dev["d3"], `mtu: {value: 9000}`)                              // other attribute
	update(t, c.base, "feat", "HookDevice", dev["d3"], `status: {value: "active"}`)                       // other branch
	dev["d4"] = create(t, c.base, "main", "HookDevice", `name: {value: "d4"}, status: {value: "active"}`) // a creation
	update(t, c.base, "main", "HookDevice", dev["d2"], `status: {value: "active"}`)                       // previous value is not planned
	update(t, c.base, "main", "HookDevice", dev["d5"], `status: {value: "active"}`)                       // matches

	want := []string{dev["d1"], dev["d5"]}
	slices.Sort(want)
	waitFor(t, 20*time.Second, "the matching devices in the group", func() (bool, string) {
		got := groupMembers(t, c.base, group)
		return slices.Equal(got, want), fmt.Sprintf("members %v, want %v", got, want)
	})
	waitFor(t, 20*time.Second, "tasks idle", func() (bool, string) { return tasksIdle(t, c.base) })
	if got := groupMembers(t, c.base, group); !slices.Equal(got, want) {
		t.Fatalf("members %v, want %v", got, want)
	}
	data := gqlData(t, c.base, `query($id: [ID]) { HookDevice(ids: $id) { edges { node { member_of_groups { edges { node { id } } } } } } }`,
		map[string]any{"id": []string{dev["d1"]}})
	if got := mustJSON(dig(data, "HookDevice", "edges")); !strings.Contains(got, group) {
		t.Fatalf("d1 member_of_groups: %s", got)
	}
	data = gqlData(t, c.base, `query { InfrahubTask(workflow: ["action-add-node-to-group"]) { count edges { node { state related_nodes { id kind } } } } }`, nil)
	if n := dig(data, "InfrahubTask", "count"); n != float64(2) || strings.Count(mustJSON(data), "COMPLETED") != 2 || !strings.Contains(mustJSON(data), rule) {
		t.Fatalf("group action tasks: %v", data)
	}

	// Each member added fired the group trigger rule: its generator action failed, saying why.
	data = gqlData(t, c.base, `query { InfrahubTask(workflow: ["action-run-generator-group-event"]) { count edges { node { state parameters
		logs { edges { node { message severity } } } } } } }`, nil)
	if n := dig(data, "InfrahubTask", "count"); n != float64(2) {
		t.Fatalf("generator action tasks: %v", data)
	}
	for _, e := range dig(data, "InfrahubTask", "edges").([]any) {
		n := dig(e, "node")
		logs := mustJSON(dig(n, "logs"))
		if dig(n, "state") != "FAILED" || !strings.Contains(logs, "generator definition "+gen+" cannot run") ||
			!strings.Contains(logs, "no generator runtime") {
			t.Fatalf("generator action task: %v", n)
		}
	}
}
