package graph

import "github.com/infrahub-go/infrahub/events"

// Dump is every node of a branch at a log position (Dumper), as GET /api/dump answers it.
// Its fields are in the order of that answer.
type Dump struct {
	Branch string `json:"branch"` // the branch's name ("" reads as the default branch's)
	// Nodes is sorted by kind then id; nil when there is none.
	Nodes []DumpedNode `json:"nodes"`
	// Position is the log position the dump reflects: the scope's, or the head; 0 for a scope
	// before the first write.
	Position events.Position `json:"position"`
}

// DumpedNode is one node of a Dump.
type DumpedNode struct {
	ID           string   `json:"id"`
	Kind         string   `json:"kind"`
	HFID         []string `json:"hfid,omitempty"`
	DisplayLabel string   `json:"display_label,omitempty"`
	// Attributes holds the attributes that were ever set (a default counts), by name.
	Attributes map[string]DumpedAttribute `json:"attributes"`
	// Relationships holds, by relationship name, the ids of the live peers (in id order) of each
	// relationship whose stored peer set is not empty (the list is empty when every peer in it
	// was deleted).
	Relationships map[string][]string `json:"relationships,omitempty"`
}

// DumpedAttribute is the stored state of one attribute in a Dump.
type DumpedAttribute struct {
	Value       any    `json:"value"`
	IsDefault   bool   `json:"is_default,omitempty"`
	Source      string `json:"source,omitempty"` // node id
	Owner       string `json:"owner,omitempty"`  // node id
	IsProtected bool   `json:"is_protected,omitempty"`
	// Global marks a branch-agnostic attribute.
	Global bool `json:"global,omitempty"`
}
