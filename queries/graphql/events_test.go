package graphql_test

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/infrahub-go/infrahub/projections/activity"
)

// sliceLister is the InfrahubEvent read side over a fixed list of events: every filter of
// activity.Query done the plain way (the real one is the activity projection's index).
type sliceLister struct {
	events []activity.Event
	asked  []activity.Query
}

func (l *sliceLister) List(_ context.Context, q activity.Query) (int, []activity.Event, error) {
	l.asked = append(l.asked, q)
	in := func(list []string, s string) bool { return len(list) == 0 || slices.Contains(list, s) }
	var match []activity.Event
	for _, e := range l.events {
		primary, kind := "", ""
		if e.PrimaryNode != nil {
			primary, kind = e.PrimaryNode.ID, e.PrimaryNode.Kind
		}
		related := len(q.RelatedIDs) == 0 || slices.Contains(q.RelatedIDs, primary)
		for _, r := range e.RelatedNodes {
			related = related || slices.Contains(q.RelatedIDs, r.ID)
		}
		about := e.Branch
		if s, ok := e.Payload["source_branch"].(string); ok {
			about = s
		}
		isBranch := strings.HasPrefix(e.Name, "infrahub.branch.")
		text := strings.ToLower(e.Name + " " + primary + " " + kind)
		if !in(q.Names, e.Name) || !in(q.Branches, e.Branch) || !in(q.NodeIDs, primary) || !related ||
			!in(q.AccountIDs, e.AccountID) || !in(q.IDs, e.ID) || !in(q.ParentIDs, e.ParentID) ||
			(len(q.ParentIDs) > 0 && e.ParentID == "") ||
			(len(q.BranchNames) > 0 && (!isBranch || !slices.Contains(q.BranchNames, about))) ||
			(q.HasChildren != nil && *q.HasChildren != e.HasChildren) || (q.Level != nil && *q.Level != e.Level) ||
			(!q.Since.IsZero() && e.OccurredAt.Before(q.Since)) || (!q.Until.IsZero() && e.OccurredAt.After(q.Until)) ||
			!strings.Contains(text, strings.ToLower(q.Q)) ||
			(kind != "" && q.AllowedKinds != nil && !q.AllowedKinds(kind)) {
			continue
		}
		match = append(match, e)
	}
	slices.SortStableFunc(match, func(a, b activity.Event) int {
		if q.Ascending {
			return a.OccurredAt.Compare(b.OccurredAt)
		}
		return b.OccurredAt.Compare(a.OccurredAt)
	})
	page := match[min(q.Offset, len(match)):]
	return len(match), page[:min(cmp.Or(q.Limit, 50), len(page))], nil
}

var eventT0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

func at(sec int) time.Time { return eventT0.Add(time.Duration(sec) * time.Second) }

// eventLister holds, oldest first:
//
//	e01 branch.created  b1                              acc-1
//	e02 node.created    b1   TestDevice d1 (site s1)    acc-1
//	e03 node.updated    b1   TestDevice d1              acc-1
//	e04 branch.rebased  b1                              acc-1
//	e05 branch.merged   main (source b1), has children  acc-2
//	e06 node.updated    main TestDevice d1, child of e05 acc-2
//	e07 group.member_added main CoreStandardGroup g1 (member d1)
//	e08 artifact.updated main CoreArtifact art1
//	e09 node.created    main TestTag t1 (related d1)    acc-2
//	e10 schema.update   main                            (the server)
//	e11 branch.deleted  b2                              acc-1
func eventLister() *sliceLister {
	d1 := &activity.NodeRef{ID: "d1", Kind: "TestDevice"}
	site := activity.NodeRef{ID: "s1", Kind: "TestSite"}
	return &sliceLister{events: []activity.Event{
		{ID: "e01", Name: activity.BranchCreated, Branch: "b1", OccurredAt: at(1), AccountID: "acc-1", RelatedNodes: []activity.NodeRef{},
			Payload: map[string]any{"branch_id": "br-1", "sync_with_git": false}},
		{ID: "e02", Name: activity.NodeCreated, Branch: "b1", OccurredAt: at(2), AccountID: "acc-1", PrimaryNode: d1,
			RelatedNodes: []activity.NodeRef{site},
			Attributes: []activity.AttributeChange{
				{Name: "name", Kind: "Text", Value: "d1", Action: activity.ActionAdded},
				{Name: "mtu", Kind: "Number", Value: float64(1500), Action: activity.ActionAdded},
				{Name: "enabled", Kind: "Boolean", Value: true, Action: activity.ActionAdded},
			},
			Relationships: []activity.RelationshipChange{{Name: "site", Peer: site, Action: activity.ActionAdded}},
			Payload:       map[string]any{"data": map[string]any{"node_id": "d1", "kind": "TestDevice", "action": "created"}}},
		{ID: "e03", Name: activity.NodeUpdated, Branch: "b1", OccurredAt: at(3), AccountID: "acc-1", PrimaryNode: d1, RelatedNodes: []activity.NodeRef{},
			Attributes: []activity.AttributeChange{{Name: "mtu", Kind: "Number", Value: float64(9000), ValuePrevious: float64(1500), Action: activity.ActionUpdated},
				{Name: "weight", Kind: "Float", Value: float64(2), ValuePrevious: nil, Action: activity.ActionAdded}},
			Relationships: []activity.RelationshipChange{{Name: "site", Peer: site, Action: activity.ActionRemoved}}},
		{ID: "e04", Name: activity.BranchRebased, Branch: "b1", OccurredAt: at(4), AccountID: "acc-1", RelatedNodes: []activity.NodeRef{}},
		{ID: "e05", Name: activity.BranchMerged, Branch: "main", OccurredAt: at(5), AccountID: "acc-2", HasChildren: true, RelatedNodes: []activity.NodeRef{},
			Payload: map[string]any{"source_branch": "b1", "branch_id": "br-1"}},
		{ID: "e06", Name: activity.NodeUpdated, Branch: "main", OccurredAt: at(5), AccountID: "acc-2", Level: 1, ParentID: "e05", PrimaryNode: d1,
			RelatedNodes: []activity.NodeRef{}, Attributes: []activity.AttributeChange{{Name: "mtu", Kind: "Number", Value: float64(9000), ValuePrevious: float64(1500), Action: activity.ActionUpdated}}},
		{ID: "e07", Name: activity.GroupMemberAdded, Branch: "main", OccurredAt: at(7), AccountID: "acc-2",
			PrimaryNode: &activity.NodeRef{ID: "g1", Kind: "CoreStandardGroup"}, RelatedNodes: []activity.NodeRef{*d1},
			Payload: map[string]any{"group": activity.NodeRef{ID: "g1", Kind: "CoreStandardGroup"}, "members": []activity.NodeRef{*d1, {ID: "t1", Kind: "TestTag"}}}},
		{ID: "e08", Name: activity.ArtifactUpdated, Branch: "main", OccurredAt: at(8), PrimaryNode: &activity.NodeRef{ID: "art1", Kind: "CoreArtifact"},
			RelatedNodes: []activity.NodeRef{}, Payload: map[string]any{"artifact_definition_id": "def-1", "checksum": "c2", "checksum_previous": "c1",
				"storage_id": "s-2", "storage_id_previous": "s-1"}},
		{ID: "e09", Name: activity.NodeCreated, Branch: "main", OccurredAt: at(9), AccountID: "acc-2", PrimaryNode: &activity.NodeRef{ID: "t1", Kind: "TestTag"},
			RelatedNodes: []activity.NodeRef{*d1}, Attributes: []activity.AttributeChange{{Name: "name", Kind: "Text", Value: "red", Action: activity.ActionAdded}}},
		{ID: "e10", Name: activity.SchemaUpdated, Branch: "main", OccurredAt: at(10), RelatedNodes: []activity.NodeRef{}, Payload: map[string]any{"schema_hash": "h1"}},
		{ID: "e11", Name: activity.BranchDeleted, Branch: "b2", OccurredAt: at(11), AccountID: "acc-1", RelatedNodes: []activity.NodeRef{}},
	}}
}

func eventFixture(t *testing.T) (*fixture, *sliceLister) {
	f := newFixture(t, fixtureSchema)
	l := eventLister()
	f.x.Events = l
	return f, l
}
