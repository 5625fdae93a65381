package activity

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/infrahub-go/infrahub/branch"
	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/projections/graph"
	"github.com/infrahub-go/infrahub/schema"
)

// Kinds the derivation knows by name (Infrahub's InfrahubKind).
const (
	KindGroup    = "CoreGroup"
	KindArtifact = "CoreArtifact"
	// groupMember is the identifier of a group's members (and of a node's member_of_groups).
	groupMember = "group_member"
)

// Derive turns one log envelope into the Infrahub events it stands for (none for an envelope
// Infrahub has no event for: tasks, diagnostics, conflict resolutions...). Previous values are
// read from g at the position just before the envelope's (Scope.At = position-1), so the graph
// must have folded env's position. The first event takes env.EventID as its id, the others an
// id derived from it (UUIDv5 of the event's index): deriving the same envelope again gives the
// same events. A branch deleted since env was written has no graph any more: its node events
// then come without previous values.
func Derive(ctx context.Context, g graph.Reader, schemaOf func(branch string) (*schema.Set, bool), env events.Envelope) ([]Event, error) {
	return Deriver{Graph: g, SchemaOf: schemaOf}.Derive(ctx, env)
}

// Deriver derives events with its graph and schemas (see Derive).
type Deriver struct {
	// Graph answers previous values and the kinds of peers (nil: none; the events then carry
	// no previous value, and peers of unknown kind an empty kind).
	Graph    graph.Reader
	SchemaOf SchemaOf
	// KindOf, when set, answers the kind of a node id before Graph is asked (kinds never
	// change). Which events an envelope gives, and in which order, depends only on the envelope,
	// the schema and the kinds of the nodes it names: never on values read from Graph.
	KindOf func(id string) (string, bool)
	// Records, when set, leaves out the attributes and the changelog payload of node events
	// (Attributes and Payload nil), which only a reader of the events' details needs: an Index
	// keeps records without them, and building them was most of what indexing a node event
	// allocated.
	Records bool
	// Decoded, when set, answers an envelope's payload already decoded as the catalogue decodes
	// it (projections.Runner.Payload), read and never changed; the deriving decodes the JSON
	// when it answers nothing.
	Decoded func(env events.Envelope) (any, bool)

	// scratch, when set, holds the slabs the events' primary nodes, relationships and related
	// nodes are taken from, and the slice they are derived into, all reused by the next
	// derivation: for a caller (the Index) done with the events before it derives again.
	scratch *deriveScratch
}

// deriveScratch is what one derivation reuses of the last (Deriver.scratch).
type deriveScratch struct {
	out     []Event
	refs    []NodeRef
	rels    []RelationshipChange
	related []NodeRef
}

// reset empties the slabs for a new derivation, keeping their memory (but the last few
// derivations' big ones, not kept).
func (s *deriveScratch) reset() {
	const keep = 1024
	if cap(s.out) > keep || cap(s.refs) > keep || cap(s.rels) > keep || cap(s.related) > keep {
		*s = deriveScratch{}
		return
	}
	s.out, s.refs, s.rels, s.related = s.out[:0], s.refs[:0], s.rels[:0], s.related[:0]
}

// Derive derives the events of env.
func (dv Deriver) Derive(ctx context.Context, env events.Envelope) ([]Event, error) {
	out, err := dv.derive(ctx, env)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].ID = EventID(env, i)
	}
	for i := range out {
		if out[i].Level == 1 && out[i].ParentID == "" {
			out[i].ParentID = out[0].ID
		}
	}
	return out, nil
}

// derive is Derive but for the events' ids (ID and ParentID empty): an Index keeps them as
// UUIDs (eventUUID), without formatting and parsing them back.
func (dv Deriver) derive(ctx context.Context, env events.Envelope) ([]Event, error) {
	d := &deriving{ctx: ctx, g: dv.Graph, schemaOf: dv.SchemaOf, lookup: dv.KindOf, decoded: dv.Decoded, env: env, records: dv.Records, scr: dv.scratch}
	if d.scr != nil {
		d.scr.reset()
		d.out = d.scr.out
	}
	err := d.run()
	if d.scr != nil {
		d.scr.out = d.out[:0]
	}
	if err != nil {
		return nil, fmt.Errorf("activity: derive the events of log position %d (%s): %w", env.GlobalPosition, env.Type, err)
	}
	for i := range d.out {
		d.out[i].Index, d.out[i].Last = i, i == len(d.out)-1
	}
	return d.out, nil
}

// EventID is the id of the i-th event derived from env: env's EventID for the first, a UUIDv5
// in its namespace for the others.
func EventID(env events.Envelope, i int) string {
	return eventUUID(env, i).String()
}

func eventUUID(env events.Envelope, i int) uuid.UUID {
	if i == 0 {
		return env.EventID
	}
	return uuid.NewSHA1(env.EventID, []byte("infrahub.event."+strconv.Itoa(i)))
}

// Relevant says whether an envelope of this type may derive events at all: the Hub and the
// Index skip the others without decoding them.
func Relevant(typ string) bool {
	switch typ {
	case nodes.TypeCreated, nodes.TypeUpdated, nodes.TypeDeleted, branch.TypeCreated, branch.TypeDeleted,
		branch.TypeMerged, branch.TypeRebased, schema.TypeLoaded:
		return true
	}
	return false
}

type deriving struct {
	ctx      context.Context
	g        graph.Reader
	schemaOf func(string) (*schema.Set, bool)
	lookup   func(string) (string, bool)
	decoded  func(events.Envelope) (any, bool) // Deriver.Decoded
	env      events.Envelope
	out      []Event
	kinds    knownKinds // node id -> kind, read once
	records  bool       // Deriver.Records
	scr      *deriveScratch
	// The schema set answered last and its branch: the node, group and relationship steps of
	// one envelope all ask for the same branch's.
	setBranch string
	setOf     *schema.Set
	setKnown  bool
}

// ref is a pointer to a copy of r (from the scratch's slab when there is one).
func (d *deriving) ref(r NodeRef) *NodeRef {
	if d.scr == nil {
		p := new(NodeRef)
		*p = r
		return p
	}
	if len(d.scr.refs) == cap(d.scr.refs) {
		d.scr.refs = make([]NodeRef, 0, max(8, 2*cap(d.scr.refs)))
	}
	d.scr.refs = append(d.scr.refs, r)
	return &d.scr.refs[len(d.scr.refs)-1]
}

func (d *deriving) base(name, br string) Event {
	return Event{Position: d.env.GlobalPosition, Name: name, Branch: br, OccurredAt: d.env.OccurredAt,
		AccountID: d.env.Metadata.Actor, RelatedNodes: []NodeRef{}}
}

func (d *deriving) run() error {
	if !Relevant(d.env.Type) {
		return nil
	}
	br, _ := branch.NameOf(d.env.Stream)
	switch d.env.Type {
	case nodes.TypeCreated:
		p, err := decodeAs[nodes.Created](d)
		if err != nil {
			return err
		}
		return d.node(br, nodeChange{op: NodeCreated, id: p.ID, kind: p.Kind, written: p.Attributes, edges: p.Edges}, 0)
	case nodes.TypeUpdated:
		p, err := decodeAs[nodes.Updated](d)
		if err != nil {
			return err
		}
		return d.node(br, nodeChange{op: NodeUpdated, id: p.ID, kind: p.Kind, written: p.Attributes, edges: p.Edges}, 0)
	case nodes.TypeDeleted:
		p, err := decodeAs[nodes.Deleted](d)
		if err != nil {
			return err
		}
		return d.node(br, nodeChange{op: NodeDeleted, id: p.ID, kind: p.Kind, edges: p.Edges}, 0)
	case branch.TypeCreated:
		p, err := decodeAs[branch.Created](d)
		if err != nil {
			return err
		}
		e := d.base(BranchCreated, p.Name)
		e.Payload = map[string]any{"branch_name": p.Name, "branch_id": BranchID(p.Name, d.env.GlobalPosition),
			"sync_with_git": p.SyncWithGit, "created_at": d.env.OccurredAt, "description": p.Description}
		d.out = append(d.out, e)
	case branch.TypeDeleted:
		p, err := decodeAs[branch.Deleted](d)
		if err != nil {
			return err
		}
		e := d.base(BranchDeleted, p.Name)
		e.Payload = map[string]any{"branch_name": p.Name}
		d.out = append(d.out, e)
	case branch.TypeRebased:
		p, err := decodeAs[branch.Rebased](d)
		if err != nil {
			return err
		}
		e := d.base(BranchRebased, p.Name)
		e.Payload = map[string]any{"branch_name": p.Name, "branched_from": int64(p.BranchedFrom)}
		d.out = append(d.out, e)
	case branch.TypeMerged:
		p, err := decodeAs[branch.Merged](d)
		if err != nil {
			return err
		}
		return d.merged(br, p)
	case schema.TypeLoaded:
		p, err := decodeAs[schema.Loaded](d)
		if err != nil {
			return err
		}
		e := d.base(SchemaUpdated, br)
		e.Payload = map[string]any{"branch_name": br, "schema_hash": p.Hash, "schema_hash_previous": p.PreviousHash}
		d.out = append(d.out, e)
	}
	return nil
}

// BranchID is the id branch.State gives the branch created at pos.
func BranchID(name string, pos events.Position) string {
	return uuid.NewSHA1(uuid.NameSpaceURL, []byte(fmt.Sprintf("branch:%s:%d", name, pos))).String()
}

// decodeAs answers the payload of the envelope: the one Decoded answers when it is a T, else
// its JSON decoded.
func decodeAs[T any](d *deriving) (T, error) {
	if d.decoded != nil {
		if v, ok := d.decoded(d.env); ok {
			if p, ok := v.(T); ok {
				return p, nil
			}
		}
	}
	var p T
	err := d.decode(&p)
	return p, err
}

func (d *deriving) decode(into any) error {
	if err := json.Unmarshal(d.env.Payload, into); err != nil {
		return fmt.Errorf("payload: %w", err)
	}
	return nil
}

// merged derives infrahub.branch.merged and, as its children, the node events of the changes
// the merge wrote on br (the default branch).
func (d *deriving) merged(br string, p branch.Merged) error {
	e := d.base(BranchMerged, p.Name)
	e.Payload = map[string]any{"branch_name": p.Name, "source_branch": p.Name, "target_branch": br}
	d.out = append(d.out, e)
	var order []string
	byNode := map[string]*nodeChange{}
	get := func(id string) *nodeChange {
		c, ok := byNode[id]
		if !ok {
			c = &nodeChange{op: NodeUpdated, id: id, attrs: map[string]any{}}
			byNode[id] = c
			order = append(order, id)
		}
		return c
	}
	for _, ch := range p.Changes {
		if ch.Node == "" {
			continue // claims and releases
		}
		switch ch.Op {
		case "create":
			c := get(ch.Node)
			c.op, c.kind = NodeCreated, ch.Kind
		case "delete":
			get(ch.Node).op = NodeDeleted
		case "set", "clear":
			if name, ok := strings.CutPrefix(ch.Field, "a:"); ok {
				var v any
				if ch.Op == "set" {
					v = ch.Value
				}
				get(ch.Node).attrs[name] = v
			}
		case "add_peer", "remove_peer":
			if strings.HasPrefix(ch.Field, "r:") {
				c := get(ch.Node)
				c.edges = append(c.edges, nodes.Edge{Node: ch.Node, Field: ch.Field, Peer: ch.Peer, Remove: ch.Op == "remove_peer"})
			}
		}
	}
	before := len(d.out)
	for _, id := range order {
		c := byNode[id]
		if c.op == NodeUpdated && len(c.attrs) == 0 && len(c.edges) == 0 {
			continue
		}
		if c.kind == "" {
			k, err := d.kindOf(br, id)
			if err != nil {
				return err
			}
			c.kind = k
		}
		if err := d.node(br, *c, 1); err != nil {
			return err
		}
	}
	d.out[0].HasChildren = len(d.out) > before
	return nil
}

// set is the schema of br (the default branch's when br has none any more).
func (d *deriving) set(br string) *schema.Set {
	if d.setKnown && d.setBranch == br {
		return d.setOf
	}
	d.setBranch, d.setOf, d.setKnown = br, d.lookupSet(br), true
	return d.setOf
}

func (d *deriving) lookupSet(br string) *schema.Set {
	if d.schemaOf == nil {
		return nil
	}
	if s, ok := d.schemaOf(br); ok && s != nil {
		return s
	}
	if s, ok := d.schemaOf(branch.Default); ok {
		return s
	}
	return nil
}
