package rest

import (
	"time"

	"github.com/infrahub-go/infrahub/branch"
	"github.com/infrahub-go/infrahub/commands/values"
	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/projections/graph"
)

// The answers' shapes: snake_case names as the README documents them, and null (never a Go
// zero value such as 0001-01-01T00:00:00Z) for what is not known.

// nodeJSON is a node as GET /api/nodes answers it (graph.Node).
type nodeJSON struct {
	ID           string              `json:"id"`
	Kind         string              `json:"kind"`
	HFID         []string            `json:"hfid"` // null for a kind without human_friendly_id
	DisplayLabel string              `json:"display_label"`
	Attributes   map[string]attrJSON `json:"attributes"`
	CreatedAt    *time.Time          `json:"created_at"`
	CreatedBy    *string             `json:"created_by"`
	UpdatedAt    *time.Time          `json:"updated_at"`
	UpdatedBy    *string             `json:"updated_by"`
}

// attrJSON is an attribute with its properties (graph.Attribute); source and owner are node ids.
type attrJSON struct {
	Value         any     `json:"value"`
	IsDefault     bool    `json:"is_default"`
	IsFromProfile bool    `json:"is_from_profile"`
	IsProtected   bool    `json:"is_protected"`
	Source        *string `json:"source"`
	Owner         *string `json:"owner"`
}

// peerJSON is one peer through a relationship (graph.Edge) with the relationship's properties.
type peerJSON struct {
	ID          string  `json:"id"`
	Kind        string  `json:"kind"`
	Source      *string `json:"source"`
	Owner       *string `json:"owner"`
	IsProtected bool    `json:"is_protected"`
}

func nodeAnswer(n graph.Node) nodeJSON {
	out := nodeJSON{ID: n.ID, Kind: n.Kind, HFID: values.AnsweredHFID(n.Kind, n.HFID), DisplayLabel: n.DisplayLabel,
		Attributes: make(map[string]attrJSON, len(n.Attributes)),
		CreatedAt:  timeOrNull(n.CreatedAt), CreatedBy: orNull(n.CreatedBy),
		UpdatedAt: timeOrNull(n.UpdatedAt), UpdatedBy: orNull(n.UpdatedBy)}
	for name, a := range n.Attributes {
		if values.Hidden(n.Kind, name, a.Value) {
			a.Value = nil // a password hash or a token digest is never answered
		}
		out.Attributes[name] = attrJSON{Value: a.Value, IsDefault: a.IsDefault, IsFromProfile: a.IsFromProfile,
			IsProtected: a.IsProtected, Source: orNull(a.Source), Owner: orNull(a.Owner)}
	}
	return out
}

func orNull(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func timeOrNull(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// diffJSON is a branch.Diff whose unknown times are null and whose lists are never null.
type diffJSON struct {
	branch.Diff
	FromTime *time.Time `json:"from_time"`
	ToTime   *time.Time `json:"to_time"`
}

func diffAnswer(d branch.Diff) diffJSON {
	if d.Nodes == nil {
		d.Nodes = []branch.NodeDiff{}
	}
	if d.Conflicts == nil {
		d.Conflicts = []branch.Conflict{}
	}
	return diffJSON{Diff: d, FromTime: timeOrNull(d.FromTime), ToTime: timeOrNull(d.ToTime)}
}

// branchJSON is a branch.Info with Infrahub's times: created_at and branched_from are
// timestamps (null when unknown), as Infrahub's Branch answers them and the SDK's BranchData
// parses them; the log position the branch starts from stays readable as branched_from_position.
type branchJSON struct {
	branch.Info
	CreatedAt            *time.Time      `json:"created_at"`
	BranchedFrom         *time.Time      `json:"branched_from"`
	BranchedFromPosition events.Position `json:"branched_from_position"`
}
