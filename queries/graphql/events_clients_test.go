package graphql_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/infrahub-go/infrahub/authz"
	"github.com/infrahub-go/infrahub/queries/graphql"
)

// The documents the web UI and Infrahub's own tests send for events, copied from their sources.

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

// The details of one event (opsmill/infrahub frontend/app/src/entities/events/api/get-event-details-from-api.ts).
const uiActivityDetails = `
  query GET_ACTIVITY_DETAILS($ids: [String!]) {
    InfrahubEvent(ids: $ids) {
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

// The query of Infrahub's own integration test of events (opsmill/infrahub
// backend/tests/integration/..., QUERY_EVENT).
const backendQueryEvent = `
query(
    $branch: [String!],
    $parent__ids: [String!],
    $event_type: [String!]
    $account__ids: [String!],
    $related_node__ids: [String!],
    $event_type_filter: EventTypeFilter
) {
  InfrahubEvent(
    branches: $branch,
    parent__ids: $parent__ids
    event_type: $event_type
    event_type_filter: $event_type_filter
    account__ids: $account__ids
    related_node__ids: $related_node__ids
  ) {
    count
    edges {
      node {
        id
        event
        branch
        has_children
        parent_id
        level
        occurred_at
        account_id
        primary_node {
          id
          kind
        }
        related_nodes {
            id
            kind
        }
        ... on ArtifactEvent {
          id
          artifact_definition_id
          storage_id
          storage_id_previous
          checksum_previous
          checksum
        }
       ... on NodeMutatedEvent {
          id
          attributes {
            name
            value
            value_previous
          }
        }
      }
    }
  }
}
`

func eventIDs(nodes []map[string]any) []string {
	var out []string
	for _, n := range nodes {
		out = append(out, n["id"].(string))
	}
	return out
}

func byID(nodes []map[string]any) map[string]map[string]any {
	out := map[string]map[string]any{}
	for _, n := range nodes {
		out[n["id"].(string)] = n
	}
	return out
}

// The activity tab: the events of a node (primary or related), newest first, paged, searched.
func TestUIActivitiesQuery(t *testing.T) {
	f, l := eventFixture(t)
	for _, tc := range []struct {
		name  string
		vars  map[string]any
		want  []string
		count int
	}{
		{"first page", map[string]any{"ids": []any{"d1"}, "offset": 0, "limit": 2}, []string{"e09", "e07"}, 5},
		{"second page", map[string]any{"ids": []any{"d1"}, "offset": 2, "limit": 2}, []string{"e06", "e03"}, 5},
		{"search", map[string]any{"ids": []any{"d1"}, "search": "NODE.UPDATED"}, []string{"e06", "e03"}, 2},
		{"related site", map[string]any{"ids": []any{"s1"}, "search": nil}, []string{"e02"}, 1},
	} {
		count, nodes := edgeNodes(t, taskQuery(t, f, uiActivities, tc.vars), "InfrahubEvent")
		got := eventIDs(nodes)
		if !slices.Equal(got, tc.want) || count != tc.count {
			t.Errorf("%s: %v (count %d), want %v (count %d)", tc.name, got, count, tc.want, tc.count)
		}
	}
	if q := l.asked[0]; q.Limit != 2 || q.Offset != 0 || !slices.Equal(q.RelatedIDs, []string{"d1"}) || q.Ascending || q.AllowedKinds == nil {
		t.Fatalf("query asked %+v", q)
	}

	_, nodes := edgeNodes(t, taskQuery(t, f, uiActivities, map[string]any{"ids": []any{"d1"}}), "InfrahubEvent")
	if len(nodes) != 5 {
		t.Fatalf("default page: %d events", len(nodes))
	}
	ev := byID(nodes)
	created := ev["e02"]
	if created["__typename"] != "NodeMutatedEvent" || created["event"] != "infrahub.node.created" || created["branch"] != "b1" ||
		created["occurred_at"] != "2026-03-01T09:00:02+00:00" || created["level"] != float64(0) || created["account_id"] != "acc-1" ||
		toJSON(created["primary_node"]) != `{"id":"d1","kind":"TestDevice"}` {
		t.Fatalf("node.created %v", created)
	}
	if got := toJSON(created["attributes"]); got != `[{"action":"ADDED","kind":"Text","name":"name","value":"d1","value_previous":null},`+
		`{"action":"ADDED","kind":"Number","name":"mtu","value":"1500","value_previous":null},`+
		`{"action":"ADDED","kind":"Boolean","name":"enabled","value":"True","value_previous":null}]` {
		t.Fatalf("attributes %s", got)
	}
	if got := toJSON(created["payload"]); got != `{"data":{"action":"created","kind":"TestDevice","node_id":"d1"}}` {
		t.Fatalf("payload %s", got)
	}
	updated := ev["e03"]
	if got := toJSON(updated["attributes"]); got != `[{"action":"UPDATED","kind":"Number","name":"mtu","value":"9000","value_previous":"1500"},`+
		`{"action":"ADDED","kind":"Float","name":"weight","value":"2.0","value_previous":null}]` || toJSON(updated["payload"]) != `{}` {
		t.Fatalf("node.updated %v", updated)
	}
	if g := ev["e07"]; g["__typename"] != "GroupEvent" || g["attributes"] != nil || len(g) != 8 {
		t.Fatalf("group event holds the interface's fields only: %v", g)
	}
	if child := ev["e06"]; child["level"] != float64(1) || child["branch"] != "main" {
		t.Fatalf("child of the merge %v", child)
	}
}

// The event details and the global list with every filter and typed fragment.
func TestUIInfrahubEventsQuery(t *testing.T) {
	f, l := eventFixture(t)
	count, nodes := edgeNodes(t, taskQuery(t, f, uiActivityDetails, map[string]any{"ids": []any{"e05"}}), "InfrahubEvent")
	if n := nodes[0]; count != 1 || n["__typename"] != "BranchMergedEvent" || n["has_children"] != true || n["primary_node"] != nil ||
		len(n["related_nodes"].([]any)) != 0 || n["account_id"] != "acc-2" {
		t.Fatalf("details of the merge: %d %v", count, nodes)
	}

	ids := func(vars map[string]any) []string {
		t.Helper()
		out := run(t, f, graphql.Request{Query: uiInfrahubEvents, Variables: vars})
		if out["errors"] != nil {
			t.Fatalf("errors: %v", out["errors"])
		}
		conn := out["data"].(map[string]any)["InfrahubEvent"].(map[string]any)
		var got []string
		for _, e := range conn["edges"].([]any) {
			got = append(got, e.(map[string]any)["node"].(map[string]any)["id"].(string))
		}
		return got
	}
	for _, tc := range []struct {
		name string
		vars map[string]any
		want []string
	}{
		{"default: newest first, 10", map[string]any{"limit": nil}, []string{"e11", "e10", "e09", "e08", "e07", "e05", "e06", "e04", "e03", "e02"}},
		{"the UI's page size", map[string]any{"limit": 40, "offset": 8}, []string{"e03", "e02", "e01"}},
		{"ascending", map[string]any{"order": "ASC", "limit": 3}, []string{"e01", "e02", "e03"}},
		{"branches and event types", map[string]any{"branches": []any{"b1"}, "eventType": []any{"infrahub.node.created", "infrahub.node.updated"}}, []string{"e03", "e02"}},
		{"primary node", map[string]any{"primaryNodeIds": []any{"d1"}, "order": "ASC"}, []string{"e02", "e03", "e06"}},
		{"related node", map[string]any{"relatedNodeIds": []any{"s1"}}, []string{"e02"}},
		{"parent", map[string]any{"parentIds": []any{"e05"}}, []string{"e06"}},
		{"accounts", map[string]any{"accountIds": []any{"acc-2"}, "level": 0}, []string{"e09", "e07", "e05"}},
		{"has children", map[string]any{"hasChildren": true}, []string{"e05"}},
		{"since and until are inclusive", map[string]any{"since": "2026-03-01T09:00:05Z", "until": "2026-03-01T09:00:08+00:00"}, []string{"e08", "e07", "e05", "e06"}},
		{"the UI's next page: until the last time", map[string]any{"until": "2026-03-01T09:00:05+00:00", "limit": 2}, []string{"e05", "e06"}},
		{"merges of b1", map[string]any{"eventTypeFilter": map[string]any{"branch_merged": map[string]any{"branches": []any{"b1"}}}}, []string{"e05"}},
		{"merges of another branch", map[string]any{"eventTypeFilter": map[string]any{"branch_merged": map[string]any{"branches": []any{"b9"}}}}, nil},
		{"rebases", map[string]any{"eventTypeFilter": map[string]any{"branch_rebased": map[string]any{"branches": []any{"b1"}}}}, []string{"e04"}},
	} {
		if got := ids(tc.vars); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
	if q := l.asked[len(l.asked)-1]; !slices.Equal(q.Names, []string{"infrahub.branch.rebased"}) || !slices.Equal(q.BranchNames, []string{"b1"}) {
		t.Fatalf("event_type_filter asked %+v", q)
	}

	out := run(t, f, graphql.Request{Query: uiInfrahubEvents, Variables: map[string]any{"limit": 50}})
	nodes = nil
	for _, e := range out["data"].(map[string]any)["InfrahubEvent"].(map[string]any)["edges"].([]any) {
		nodes = append(nodes, e.(map[string]any)["node"].(map[string]any))
	}
	ev := byID(nodes)
	want := map[string]string{
		"e01": `{"__typename":"BranchCreatedEvent","account_id":"acc-1","branch":"b1","created_branch":"b1","event":"infrahub.branch.created","has_children":false,"id":"e01","level":0,"occurred_at":"2026-03-01T09:00:01+00:00","payload":{"branch_id":"br-1","sync_with_git":false},"primary_node":null,"related_nodes":[]}`,
		"e03": `{"__typename":"NodeMutatedEvent","account_id":"acc-1","attributes":[{"action":"UPDATED","kind":"Number","name":"mtu","value":"9000","value_previous":"1500"},{"action":"ADDED","kind":"Float","name":"weight","value":"2.0","value_previous":null}],"branch":"b1","event":"infrahub.node.updated","has_children":false,"id":"e03","level":0,"occurred_at":"2026-03-01T09:00:03+00:00","payload":{},"primary_node":{"id":"d1","kind":"TestDevice"},"related_nodes":[],"relationships":[{"action":"REMOVED","name":"site","peer":{"id":"s1","kind":"TestSite"}}]}`,
		"e04": `{"__typename":"BranchRebasedEvent","account_id":"acc-1","branch":"b1","event":"infrahub.branch.rebased","has_children":false,"id":"e04","level":0,"occurred_at":"2026-03-01T09:00:04+00:00","payload":{},"primary_node":null,"rebased_branch":"b1","related_nodes":[]}`,
		"e05": `{"__typename":"BranchMergedEvent","account_id":"acc-2","branch":"main","event":"infrahub.branch.merged","has_children":true,"id":"e05","level":0,"occurred_at":"2026-03-01T09:00:05+00:00","primary_node":null,"related_nodes":[],"source_branch":"b1"}`,
		"e07": `{"__typename":"GroupEvent","account_id":"acc-2","ancestors":[],"branch":"main","event":"infrahub.group.member_added","has_children":false,"id":"e07","level":0,"members":[{"id":"d1","kind":"TestDevice"},{"id":"t1","kind":"TestTag"}],"occurred_at":"2026-03-01T09:00:07+00:00","primary_node":{"id":"g1","kind":"CoreStandardGroup"},"related_nodes":[{"id":"d1","kind":"TestDevice"}]}`,
		"e08": `{"__typename":"ArtifactEvent","account_id":null,"artifact_definition_id":"def-1","branch":"main","checksum":"c2","checksum_previous":"c1","event":"infrahub.artifact.updated","has_children":false,"id":"e08","level":0,"occurred_at":"2026-03-01T09:00:08+00:00","primary_node":{"id":"art1","kind":"CoreArtifact"},"related_nodes":[],"storage_id":"s-2","storage_id_previous":"s-1"}`,
		"e10": `{"__typename":"StandardEvent","account_id":null,"branch":"main","event":"infrahub.schema.update","has_children":false,"id":"e10","level":0,"occurred_at":"2026-03-01T09:00:10+00:00","payload":{"schema_hash":"h1"},"primary_node":null,"related_nodes":[]}`,
		"e11": `{"__typename":"BranchDeletedEvent","account_id":"acc-1","branch":"b2","deleted_branch":"b2","event":"infrahub.branch.deleted","has_children":false,"id":"e11","level":0,"occurred_at":"2026-03-01T09:00:11+00:00","payload":{},"primary_node":null,"related_nodes":[]}`,
	}
	for id, w := range want {
		if got := toJSON(ev[id]); got != w {
			t.Errorf("%s:\n got %s\nwant %s", id, got, w)
		}
	}
	// The UI's previous version of the list (no event_type_filter, no account types) validates too.
	old := strings.Replace(strings.Replace(uiInfrahubEvents, "    $eventTypeFilter: EventTypeFilter\n", "", 1), "      event_type_filter: $eventTypeFilter\n", "", 1)
	old = old[:strings.Index(old, "          ... on AccountLoggedInEventType")] + "        }\n      }\n    }\n  }\n"
	if got := toJSON(taskQuery(t, f, old, map[string]any{"limit": 1})); !strings.HasPrefix(got, `{"InfrahubEvent":{"edges":[{"node":{"__typename":"BranchDeletedEvent"`) {
		t.Fatalf("previous UI list: %s", got)
	}
}

// Infrahub's own test query: the backend's filters and the artifact and node fragments.
func TestBackendQueryEvent(t *testing.T) {
	f, _ := eventFixture(t)
	count, nodes := edgeNodes(t, taskQuery(t, f, backendQueryEvent, map[string]any{"branch": []any{"main"}, "parent__ids": nil,
		"event_type": []any{"infrahub.artifact.updated", "infrahub.node.updated"}, "account__ids": nil, "related_node__ids": nil}), "InfrahubEvent")
	if count != 2 || !slices.Equal(eventIDs(nodes), []string{"e08", "e06"}) {
		t.Fatalf("%d %v", count, eventIDs(nodes))
	}
	if a := nodes[0]; a["checksum"] != "c2" || a["storage_id_previous"] != "s-1" || a["parent_id"] != nil || a["account_id"] != nil {
		t.Fatalf("artifact event %v", a)
	}
	if n := nodes[1]; n["parent_id"] != "e05" || toJSON(n["attributes"]) != `[{"name":"mtu","value":"9000","value_previous":"1500"}]` {
		t.Fatalf("node event %v", n)
	}
	count, nodes = edgeNodes(t, taskQuery(t, f, backendQueryEvent, map[string]any{"parent__ids": []any{"e05"}, "account__ids": []any{"acc-2"}}), "InfrahubEvent")
	if count != 1 || nodes[0]["id"] != "e06" {
		t.Fatalf("children of the merge: %d %v", count, nodes)
	}
}

// Events of a primary node the requester may not view are left out and not counted; related
// nodes and group members of such kinds are left out of the events answered.
func TestEventPermissions(t *testing.T) {
	f, _ := eventFixture(t)
	var ps []authz.ObjectPermission
	for _, s := range []string{"object:Test:Tag:view:deny", "object:*:*:view:allow_all"} {
		p, err := authz.ParseObject(s)
		if err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p)
	}
	id := &authz.Identity{AccountID: "a1", Name: "viewer", AccountType: "User", Permissions: authz.NewPermissions(nil, ps)}
	r := f.x.Execute(authz.With(context.Background(), id), graphql.Request{Query: uiInfrahubEvents, Variables: map[string]any{"relatedNodeIds": []any{"d1"}}})
	if len(r.Errors) > 0 {
		t.Fatal(r.Errors)
	}
	data := string(r.Data)
	if strings.Contains(data, `"e09"`) || strings.Contains(data, "TestTag") || !strings.Contains(data, `"members":[{"id":"d1","kind":"TestDevice"}]`) {
		t.Fatalf("TestTag answered: %s", data)
	}
	r = f.x.Execute(authz.With(context.Background(), id), graphql.Request{Query: `{ InfrahubEvent(related_node__ids: ["d1"]) { count } }`})
	if string(r.Data) != `{"InfrahubEvent":{"count":4}}` {
		t.Fatalf("count without the hidden event: %s %v", r.Data, r.Errors)
	}
}

// Bounds of a page, the sort order's enum, and no index: no events.
func TestEventPageAndSchema(t *testing.T) {
	f, _ := eventFixture(t)
	for doc, want := range map[string]string{
		`{ InfrahubEvent(limit: 51) { count } }`:     `The parameter 'limit' can't be above 50`,
		`{ InfrahubEvent(offset: -1) { count } }`:    `offset`,
		`{ InfrahubEvent(since: "soon") { count } }`: `since`,
		`{ InfrahubEvent(order: UP) { count } }`:     `UP`,
	} {
		out := run(t, f, graphql.Request{Query: doc})
		if out["errors"] == nil || !strings.Contains(toJSON(out["errors"]), want) {
			t.Errorf("%s: %v, want an error naming %q", doc, out["errors"], want)
		}
	}
	data := taskQuery(t, f, `{ __type(name: "EventSortOrder") { enumValues { name } } ev: __type(name: "EventNodeInterface") { possibleTypes { name } } }`, nil)
	if got := toJSON(data["__type"]); got != `{"enumValues":[{"name":"ASC"},{"name":"DESC"}]}` {
		t.Fatalf("EventSortOrder %s", got)
	}
	if got := toJSON(data["ev"]); !strings.Contains(got, "NodeMutatedEvent") || !strings.Contains(got, "GroupAutoCreateCappedEventType") {
		t.Fatalf("EventNodeInterface's types %s", got)
	}
	f.x.Events = nil
	if data := taskQuery(t, f, `{ InfrahubEvent { count edges { node { id } } } }`, nil); toJSON(data) != `{"InfrahubEvent":{"count":0,"edges":[]}}` {
		t.Fatalf("no index: %v", data)
	}
}
