package main

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// The web UI's activity queries, copied verbatim from its source (the same documents as
// queries/graphql/events_clients_test.go).

// The activity tab of a node (opsmill/infrahub frontend/app/src/entities/events/api/get-events-from-api.ts,
// its GET_ACTIVITIES version): related_node__ids, offset, limit and the search text q.
const uiActivities = `
  query GET_ACTIVITIES($ids: [String], $offset: Int, $limit: Int, $search: String) {
    InfrahubEvent(related_node__ids: $ids, offset: $offset, limit: $limit, q: $search) {
      count
      edges {
        node {
          id
          event
          branch
          occurred_at
          level
          account_id
          primary_node {
            id
            kind
          }
          __typename
          ... on NodeMutatedEvent {
            attributes {
              action
              kind
              name
              value
              value_previous
            }
            payload
          }
        }
      }
    }
  }
`

// The global and node event lists (opsmill/infrahub frontend/app/src/entities/events/api/get-events-from-api.ts,
// the version with event_type_filter and the account and group auto-creation types).
const uiInfrahubEvents = `
  query GET_INFRAHUB_EVENTS(
    $ids: [String!]
    $hasChildren: Boolean
    $branches: [String!]
    $eventType: [String!]
    $primaryNodeIds: [String!]
    $relatedNodeIds: [String!]
    $parentIds: [String!]
    $accountIds: [String!]
    $level: Int
    $since: DateTime
    $until: DateTime
    $offset: Int
    $limit: Int
    $order: EventSortOrder
    $eventTypeFilter: EventTypeFilter
  ) {
    InfrahubEvent(
      ids: $ids
      has_children: $hasChildren
      branches: $branches
      event_type: $eventType
      event_type_filter: $eventTypeFilter
      primary_node__ids: $primaryNodeIds
      related_node__ids: $relatedNodeIds
      parent__ids: $parentIds
      account__ids: $accountIds
      level: $level
      since: $since
      until: $until
      offset: $offset
      limit: $limit
      order: $order
    ) {
      edges {
        node {
          id
          event
          branch
          occurred_at
          level
          account_id
          primary_node {
            id
            kind
          }
          related_nodes {
            id
            kind
          }
          has_children
          __typename
          ... on NodeMutatedEvent {
            attributes {
              action
              kind
              name
              value
              value_previous
            }
            relationships {
              action
              name
              peer {
                id
                kind
              }
            }
            payload
          }
          ... on StandardEvent {
            payload
          }
          ... on BranchCreatedEvent {
            payload
            created_branch
          }
          ... on BranchDeletedEvent {
            payload
            deleted_branch
          }
          ... on BranchRebasedEvent {
            payload
            rebased_branch
          }
          ... on BranchMergedEvent {
            source_branch
          }
          ... on GroupEvent {
            ancestors {
              id
              kind
            }
            members {
              id
              kind
            }
          }
          ... on ArtifactEvent {
            checksum
            storage_id
            artifact_definition_id
            checksum_previous
            storage_id_previous
          }
          ... on AccountLoggedInEventType {
            account_name
            account_type
            auth_method
            session_id
            timestamp
            client_ip
            user_agent
            groups
            roles
            identity_source
          }
          ... on AccountLoggedOutEventType {
            account_name
            logout_type
            session_id
            timestamp
            client_ip
            user_agent
          }
          ... on GroupAutoCreatedEventType {
            idp
            protocol
            triggering_user_id
            triggering_user_name
            group_id
            group_name
            source_pattern
            origin_value
          }
          ... on GroupAutoCreateRejectedEventType {
            idp
            protocol
            triggering_user_id
            triggering_user_name
            rejected_claim_value
          }
          ... on GroupAutoCreateCappedEventType {
            idp
            protocol
            triggering_user_id
            triggering_user_name
            cap_value
            dropped_count
            dropped_claims
          }
        }
      }
    }
  }
`

// eventNodes runs the UI's events list with vars and answers its nodes.
func eventNodes(t *testing.T, base string, vars map[string]any) []map[string]any {
	t.Helper()
	data := gqlData(t, base, uiInfrahubEvents, vars)
	var out []map[string]any
	for _, e := range dig(data, "InfrahubEvent", "edges").([]any) {
		out = append(out, dig(e, "node").(map[string]any))
	}
	return out
}

// InfrahubEvent on a running server (issue 20, acceptance 3): after node creations and updates,
// a branch created and merged, and a group member added, the UI's activity queries answer
// Infrahub's events with their typed fragments, attribute values and previous values, filters,
// order and pages.
func TestInfrahubEventUIQueries(t *testing.T) {
	c := startChild(t, freeAddr(t), hookEnv(t))
	postCommand(t, c.base, "schema.load", map[string]any{"schemas": []string{hookSchema}})
	s1 := create(t, c.base, "main", "HookSite", `name: {value: "s1"}`)
	d1 := create(t, c.base, "main", "HookDevice", fmt.Sprintf(`name: {value: "d1"}, status: {value: "planned"}, mtu: {value: 1500}, site: {id: %q}`, s1))
	update(t, c.base, "main", "HookDevice", d1, `status: {value: "active"}, mtu: {value: 9000}`)
	gqlOn(t, c.base, "main", `mutation { BranchCreate(data: {name: "feat", sync_with_git: false}, wait_until_completion: true) { ok } }`, nil)
	d2 := create(t, c.base, "feat", "HookDevice", `name: {value: "d2"}, status: {value: "planned"}`)
	update(t, c.base, "feat", "HookDevice", d1, `mtu: {value: 1400}`)
	gqlOn(t, c.base, "main", `mutation { BranchMerge(data: {name: "feat"}, wait_until_completion: true) { ok } }`, nil)
	g1 := create(t, c.base, "main", "CoreStandardGroup", `name: {value: "g1"}`)
	gqlOn(t, c.base, "main", fmt.Sprintf(`mutation { RelationshipAdd(data: {id: %q, name: "members", nodes: [{id: %q}]}) { ok } }`, g1, d1), nil)

	// No credential shows: the admin's API token (created at the first start) is an event whose
	// stored hash is masked like a password.
	all := gqlData(t, c.base, `query { InfrahubEvent(limit: 50, event_type: ["infrahub.node.created"]) { edges { node {
		primary_node { kind } ... on NodeMutatedEvent { attributes { name value } payload } } } } }`, nil)
	if raw := mustJSON(all); strings.Contains(raw, "sha256:") || strings.Contains(raw, testAdminToken) || !strings.Contains(raw, "InternalAccountToken") {
		t.Fatalf("the events show a credential (or not the token's event): %s", raw)
	}

	// The events of d1 (primary or related), newest first, as the activity tab asks them.
	type row struct{ Type, Event, Branch, Primary string }
	rowOf := func(n map[string]any) row {
		p, _ := dig(n, "primary_node", "kind").(string)
		b, _ := n["branch"].(string)
		return row{n["__typename"].(string), n["event"].(string), b, p}
	}
	activities := func(vars map[string]any) (float64, []map[string]any) {
		t.Helper()
		data := gqlData(t, c.base, uiActivities, vars)
		var out []map[string]any
		for _, e := range dig(data, "InfrahubEvent", "edges").([]any) {
			out = append(out, dig(e, "node").(map[string]any))
		}
		n, _ := dig(data, "InfrahubEvent", "count").(float64)
		return n, out
	}
	want := []row{
		{"GroupEvent", "infrahub.group.member_added", "main", "CoreStandardGroup"},
		{"NodeMutatedEvent", "infrahub.node.updated", "main", "CoreStandardGroup"},
		{"NodeMutatedEvent", "infrahub.node.updated", "main", "HookDevice"}, // the merge's child
		{"NodeMutatedEvent", "infrahub.node.updated", "feat", "HookDevice"},
		{"NodeMutatedEvent", "infrahub.node.updated", "main", "HookDevice"},
		{"NodeMutatedEvent", "infrahub.node.created", "main", "HookDevice"},
	}
	var count float64
	var d1Events []map[string]any
	waitFor(t, 10*time.Second, "the events of d1", func() (bool, string) {
		count, d1Events = activities(map[string]any{"ids": []string{d1}, "offset": 0, "limit": 50})
		var got []row
		for _, n := range d1Events {
			got = append(got, rowOf(n))
		}
		return slices.Equal(got, want) && count == float64(len(want)), fmt.Sprintf("%v events: %v, want %v", count, got, want)
	})
	attrs := func(n map[string]any) string {
		var out []string
		for _, a := range n["attributes"].([]any) {
			m := a.(map[string]any)
			out = append(out, fmt.Sprintf("%v %v %v<-%v", m["action"], m["name"], m["value"], m["value_previous"]))
		}
		return strings.Join(out, "; ")
	}
	for i, w := range map[int]string{
		2: "UPDATED mtu 1400<-9000",
		3: "UPDATED mtu 1400<-9000",
		4: "UPDATED status active<-planned; UPDATED mtu 9000<-1500",
		5: "ADDED name d1<-<nil>; ADDED status planned<-<nil>; ADDED mtu 1500<-<nil>",
	} {
		if got := attrs(d1Events[i]); got != w {
			t.Errorf("event %d of d1: attributes %q, want %q", i, got, w)
		}
	}
	if d1Events[2]["level"] != float64(1) || d1Events[5]["account_id"] == nil || dig(d1Events[5], "payload", "data", "node_id") != d1 {
		t.Errorf("events of d1: %v / %v", d1Events[2], d1Events[5])
	}
	// Pages of two: the same events, in the same order.
	var paged []string
	for off := 0; off < 8; off += 2 {
		n, page := activities(map[string]any{"ids": []string{d1}, "offset": off, "limit": 2})
		if n != count || len(page) > 2 {
			t.Fatalf("page at %d: count %v, %d events", off, n, len(page))
		}
		for _, e := range page {
			paged = append(paged, e["id"].(string))
		}
	}
	var ids []string
	for _, e := range d1Events {
		ids = append(ids, e["id"].(string))
	}
	if !slices.Equal(paged, ids) {
		t.Fatalf("pages %v, want %v", paged, ids)
	}

	// The events of branch feat with the global list: its creation, its changes, its merge.
	feat := eventNodes(t, c.base, map[string]any{"branches": []string{"feat"}, "limit": 50})
	var got []row
	for _, n := range feat {
		got = append(got, rowOf(n))
	}
	wantFeat := []row{{"BranchMergedEvent", "infrahub.branch.merged", "feat", ""}, {"NodeMutatedEvent", "infrahub.node.updated", "feat", "HookDevice"},
		{"NodeMutatedEvent", "infrahub.node.created", "feat", "HookDevice"}, {"BranchCreatedEvent", "infrahub.branch.created", "feat", ""}}
	if !slices.Equal(got, wantFeat) {
		t.Fatalf("events of feat: %v, want %v", got, wantFeat)
	}
	merged, created := feat[0], feat[3]
	if merged["source_branch"] != "feat" || merged["has_children"] != true || created["created_branch"] != "feat" ||
		dig(created, "payload", "sync_with_git") != false {
		t.Fatalf("merge %v, creation %v", merged, created)
	}
	asc := eventNodes(t, c.base, map[string]any{"branches": []string{"feat"}, "order": "ASC", "limit": 50})
	if len(asc) != 4 || asc[0]["id"] != created["id"] || asc[3]["id"] != merged["id"] {
		t.Fatalf("ascending: %v", asc)
	}
	// The merge's children: the changes it wrote on main.
	children := eventNodes(t, c.base, map[string]any{"parentIds": []string{merged["id"].(string)}, "order": "ASC"})
	got = nil
	for _, n := range children {
		got = append(got, rowOf(n))
		if n["level"] != float64(1) {
			t.Errorf("child of the merge: %v", n)
		}
	}
	if want := []row{{"NodeMutatedEvent", "infrahub.node.created", "main", "HookDevice"}, {"NodeMutatedEvent", "infrahub.node.updated", "main", "HookDevice"}}; !slices.Equal(got, want) ||
		dig(children[0], "primary_node", "id") != d2 {
		t.Fatalf("children of the merge: %v", children)
	}
	// Event types, the merge filter, the group event, related nodes.
	for name, tc := range map[string]struct {
		vars map[string]any
		want []string
	}{
		"event_type":        {map[string]any{"eventType": []string{"infrahub.branch.merged", "infrahub.branch.created"}}, []string{"infrahub.branch.merged", "infrahub.branch.created"}},
		"event_type_filter": {map[string]any{"eventTypeFilter": map[string]any{"branch_merged": map[string]any{"branches": []string{"feat"}}}}, []string{"infrahub.branch.merged"}},
		"group":             {map[string]any{"primaryNodeIds": []string{g1}, "eventType": []string{"infrahub.group.member_added"}}, []string{"infrahub.group.member_added"}},
		"related site":      {map[string]any{"relatedNodeIds": []string{s1}, "order": "ASC"}, []string{"infrahub.node.created", "infrahub.node.created"}},
	} {
		ns := eventNodes(t, c.base, tc.vars)
		var names []string
		for _, n := range ns {
			names = append(names, n["event"].(string))
		}
		if !slices.Equal(names, tc.want) {
			t.Errorf("%s: %v, want %v", name, names, tc.want)
		}
		switch name {
		case "group":
			if got := mustJSON(ns[0]["members"]); got != fmt.Sprintf(`[{"id":%q,"kind":"HookDevice"}]`, d1) || ns[0]["__typename"] != "GroupEvent" {
				t.Errorf("group event %v", ns[0])
			}
		case "related site":
			if dig(ns[0], "primary_node", "id") != s1 || dig(ns[1], "primary_node", "id") != d1 ||
				mustJSON(ns[1]["related_nodes"]) != fmt.Sprintf(`[{"id":%q,"kind":"HookSite"}]`, s1) {
				t.Errorf("related to the site: %v", ns)
			}
		}
	}
}
