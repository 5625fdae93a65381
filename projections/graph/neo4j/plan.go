package neo4j

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/infrahub-go/infrahub/branch"
	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/events"
)

// Branch names of the edges (Infrahub's): agnostic data lives on GlobalBranch.
const (
	GlobalBranch = "-global-"
	// HFIDAttribute and LabelAttribute are the Attribute vertices holding a node's
	// human-friendly id (a JSON list) and display label, as Infrahub 1.5+ stores them.
	HFIDAttribute  = "human_friendly_id"
	LabelAttribute = "display_label"
)

// Statement is one Cypher statement and its parameters.
type Statement struct {
	Cypher string         `json:"cypher"`
	Params map[string]any `json:"params"`
}

// Plan turns a batch of log events into the statements that fold them into the graph, in the
// order they must run. It is pure: the same batch always gives the same statements.
//
// Batching: the events are cut into segments in which no slot (a node's existence on a branch,
// an attribute, a relationship instance) is written by two different statements and no branch
// event occurs but as the segment's last event; within a segment, the rows of each statement are
// sent as one UNWIND list, statements in a fixed order (create nodes, set attributes, remove
// relationships, add relationships, delete nodes, touch, branch statements). Rows of one
// statement apply in log order. Events of other types (schema, conflict resolutions) write
// nothing here. Claims of unique values are projected (StmtUniqueSet) for Diff's conflicts. Last,
// StmtPositions records the position and time of every event of the batch (of every type), for
// PositionAt and RecordedAt.
func Plan(batch []events.Envelope) ([]Statement, error) {
	p := planner{}
	p.reset()
	positions := make([]any, 0, len(batch))
	for _, env := range batch {
		if err := p.event(env); err != nil {
			return nil, fmt.Errorf("neo4j projection: event %d (%s): %w", env.GlobalPosition, env.Type, err)
		}
		positions = append(positions, map[string]any{"pos": int64(env.GlobalPosition), "at": at(env)})
	}
	p.flush()
	if len(positions) > 0 {
		p.out = append(p.out, Statement{Cypher: StmtPositions, Params: map[string]any{"rows": positions}})
	}
	return p.out, nil
}

// phase is the order statements of one segment run in.
var phase = []string{
	StmtNodeCreate, StmtAttributeSet, StmtRelRemoveDirected, StmtRelRemoveBoth,
	StmtRelAddDirected, StmtRelAddBoth, StmtNodeDelete, StmtUniqueSet, StmtNodeTouch,
	StmtBranchCreate, StmtBranchRebase, StmtBranchMerged, StmtBranchDelete,
}

type planner struct {
	out  []Statement
	rows map[string][]any  // statement -> rows of the current segment
	keys map[string]string // slot -> statement that wrote it in the current segment
}

func (p *planner) reset() {
	p.rows = map[string][]any{}
	p.keys = map[string]string{}
}

func (p *planner) flush() {
	for _, s := range phase {
		if rows := p.rows[s]; len(rows) > 0 {
			p.out = append(p.out, Statement{Cypher: s, Params: map[string]any{"rows": rows}})
		}
	}
	p.reset()
}

// add queues row for stmt; a slot key already written by another statement in this segment
// starts a new segment first.
func (p *planner) add(stmt, key string, row map[string]any) {
	if key != "" {
		if prev, ok := p.keys[key]; ok && prev != stmt {
			p.flush()
		}
		p.keys[key] = stmt
	}
	p.rows[stmt] = append(p.rows[stmt], row)
}

// at is the event's time as Infrahub writes it: ISO-8601 UTC with microseconds.
func at(env events.Envelope) string {
	return env.RecordedAt.UTC().Format("2006-01-02T15:04:05.000000Z")
}

// ctx is what every row of one event shares.
type evctx struct {
	branch string
	at     string
	pos    int64
	actor  string
}

func (c evctx) edge(global bool) map[string]any {
	b, level := c.branch, 2
	if global {
		b = GlobalBranch
	}
	if b == branch.Default || b == GlobalBranch {
		level = 1
	}
	return map[string]any{"branch": b, "branch_level": level, "from": c.at, "from_pos": c.pos, "status": "active"}
}

func support(global bool) string {
	if global {
		return "agnostic"
	}
	return "aware"
}

func (p *planner) event(env events.Envelope) error {
	c := evctx{at: at(env), pos: int64(env.GlobalPosition), actor: env.Metadata.Actor}
	if name, ok := branch.NameOf(env.Stream); ok {
		c.branch = name
	}
	switch env.Type {
	case nodes.TypeCreated, nodes.TypeUpdated, nodes.TypeDeleted:
		if c.branch == "" {
			return fmt.Errorf("stream %q is not a branch's", env.Stream)
		}
	}
	switch env.Type {
	case nodes.TypeCreated:
		var e nodes.Created
		if err := decode(env, &e); err != nil {
			return err
		}
		p.add(StmtNodeCreate, "node:"+e.ID+"@"+c.edge(e.Global)["branch"].(string), map[string]any{
			"id": e.ID, "kind": e.Kind, "branch_support": support(e.Global), "at": c.at, "actor": c.actor, "edge": c.edge(e.Global)})
		for _, name := range sortedKeys(e.Attributes) {
			p.attr(c, e.ID, name, e.Attributes[name], e.Global)
		}
		p.meta(c, e.ID, e.Global, &e.HFID, &e.DisplayLabel)
		p.claims(c, e.ID, e.Claims)
		return p.edges(c, e.ID, e.Global, e.Edges)
	case nodes.TypeUpdated:
		var e nodes.Updated
		if err := decode(env, &e); err != nil {
			return err
		}
		for _, name := range sortedKeys(e.Attributes) {
			p.attr(c, e.ID, name, e.Attributes[name], e.Global)
		}
		p.meta(c, e.ID, e.Global, e.HFID, e.DisplayLabel)
		p.claims(c, e.ID, e.Claims)
		if err := p.edges(c, e.ID, e.Global, e.Edges); err != nil {
			return err
		}
		p.touch(c, e.ID, e.Global)
	case nodes.TypeDeleted:
		var e nodes.Deleted
		if err := decode(env, &e); err != nil {
			return err
		}
		if err := p.edges(c, e.ID, e.Global, e.Edges); err != nil {
			return err
		}
		p.claims(c, e.ID, e.Claims)
		p.add(StmtNodeDelete, "node:"+e.ID+"@"+c.edge(e.Global)["branch"].(string), map[string]any{"id": e.ID, "edge": c.edge(e.Global)})
	case branch.TypeCreated:
		var e branch.Created
		if err := decode(env, &e); err != nil {
			return err
		}
		p.add(StmtBranchCreate, "", map[string]any{"name": e.Name, "description": e.Description,
			"sync_with_git": e.SyncWithGit, "branched_from": int64(e.BranchedFrom), "at": c.at, "origin_branch": branch.Default})
		p.flush()
	case branch.TypeDeleted:
		var e branch.Deleted
		if err := decode(env, &e); err != nil {
			return err
		}
		p.flush()
		p.add(StmtBranchDelete, "", map[string]any{"name": e.Name})
		p.flush()
	case branch.TypeMerged:
		var e branch.Merged
		if err := decode(env, &e); err != nil {
			return err
		}
		c.branch = branch.Default
		if err := p.changes(c, e.Changes); err != nil {
			return err
		}
		p.add(StmtBranchMerged, "", map[string]any{"name": e.Name})
		p.flush()
	case branch.TypeRebased:
		var e branch.Rebased
		if err := decode(env, &e); err != nil {
			return err
		}
		c.branch = e.Name
		p.flush()
		p.add(StmtBranchRebase, "", map[string]any{"name": e.Name, "branched_from": int64(e.BranchedFrom)})
		p.flush()
		if err := p.changes(c, e.Changes); err != nil {
			return err
		}
	}
	return nil
}

func decode(env events.Envelope, v any) error {
	if env.SchemaVersion > 1 {
		return fmt.Errorf("schema version %d is newer than this projection reads (1)", env.SchemaVersion)
	}
	if err := json.Unmarshal(env.Payload, v); err != nil {
		return fmt.Errorf("payload: %w", err)
	}
	return nil
}

// attr queues one attribute value.
func (p *planner) attr(c evctx, node, name string, a nodes.Attr, global bool) {
	global = global || a.Global
	js, _ := json.Marshal(a.Value) // a decoded JSON value always encodes
	row := map[string]any{"node": node, "uuid": node + "/" + name, "name": name, "branch_support": support(global),
		"json": string(js), "value": scalar(a.Value), "is_default": a.IsDefault, "is_protected": a.IsProtected,
		"source": nullable(a.Source), "owner": nullable(a.Owner), "edge": c.edge(global)}
	p.add(StmtAttributeSet, "attr:"+node+"/"+name+"@"+c.edge(global)["branch"].(string), row)
}

func (p *planner) meta(c evctx, node string, global bool, hfid *[]string, label *string) {
	if hfid != nil && *hfid != nil {
		list := make([]any, len(*hfid))
		for i, s := range *hfid {
			list[i] = s
		}
		p.attr(c, node, HFIDAttribute, nodes.Attr{Value: list}, global)
	}
	if label != nil && (*label != "" || hfid == nil) {
		p.attr(c, node, LabelAttribute, nodes.Attr{Value: *label}, global)
	}
}

func (p *planner) touch(c evctx, node string, global bool) {
	if global || c.branch == branch.Default {
		p.add(StmtNodeTouch, "", map[string]any{"id": node, "at": c.at, "actor": c.actor})
	}
}

// scalar is the value stored on the AttributeValue vertex: Neo4j properties hold scalars and
// lists of one scalar type, so objects and mixed lists are kept as their JSON text only.
func scalar(v any) any {
	switch v := v.(type) {
	case nil, string, float64, bool:
		return v
	case []any:
		for _, x := range v {
			if _, ok := x.(string); !ok {
				return nil
			}
		}
		return v
	}
	return nil
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// edges queues relationship edges; near is the event's node unless the edge names another.
func (p *planner) edges(c evctx, node string, global bool, es []nodes.Edge) error {
	for _, e := range es {
		near := node
		if e.Node != "" {
			near = e.Node
		}
		if err := p.rel(c, near, e.Field, e.Peer, e.Remove, global || e.Global); err != nil {
			return err
		}
	}
	return nil
}

// rel queues adding or removing the relationship instance field (r:<identifier>|<side>)
// between near and peer.
func (p *planner) rel(c evctx, near, field, peer string, remove, global bool) error {
	ident, side, ok := strings.Cut(strings.TrimPrefix(field, "r:"), "|")
	if !strings.HasPrefix(field, "r:") || !ok {
		return fmt.Errorf("relationship field %q is not r:<identifier>|<side>", field)
	}
	src, dst := near, peer
	var stmt string
	switch side {
	case nodes.SideOut:
		stmt = StmtRelAddDirected
	case nodes.SideIn:
		src, dst, stmt = peer, near, StmtRelAddDirected
	case nodes.SideBoth:
		if dst < src {
			src, dst = dst, src
		}
		stmt = StmtRelAddBoth
	default:
		return fmt.Errorf("relationship field %q: unknown side %q", field, side)
	}
	if remove {
		stmt = map[string]string{StmtRelAddDirected: StmtRelRemoveDirected, StmtRelAddBoth: StmtRelRemoveBoth}[stmt]
	}
	uuid := ident + "|" + src + "|" + dst
	p.add(stmt, "rel:"+uuid+"@"+c.edge(global)["branch"].(string), map[string]any{"src": src, "dst": dst, "uuid": uuid,
		"name": ident, "branch_support": support(global), "edge": c.edge(global)})
	return nil
}

// changes queues the stored changes of a merge (on the default branch) or a rebase (on the
// branch).
func (p *planner) changes(c evctx, cs []branch.Change) error {
	for i, ch := range cs {
		switch ch.Op {
		case "create":
			p.add(StmtNodeCreate, "node:"+ch.Node+"@"+c.branch, map[string]any{"id": ch.Node, "kind": ch.Kind,
				"branch_support": support(false), "at": c.at, "actor": c.actor, "edge": c.edge(false)})
		case "delete":
			p.add(StmtNodeDelete, "node:"+ch.Node+"@"+c.branch, map[string]any{"id": ch.Node, "edge": c.edge(false)})
		case "set", "clear":
			a := nodes.Attr{Value: ch.Value, IsDefault: ch.IsDefault, Source: ch.Source, Owner: ch.Owner, IsProtected: ch.IsProtected}
			if ch.Op == "clear" {
				a = nodes.Attr{IsDefault: true}
			}
			switch {
			case strings.HasPrefix(ch.Field, "a:"):
				p.attr(c, ch.Node, ch.Field[2:], a, false)
			case ch.Field == nodes.FieldHFID:
				p.attr(c, ch.Node, HFIDAttribute, a, false)
			case ch.Field == nodes.FieldLabel:
				p.attr(c, ch.Node, LabelAttribute, a, false)
			}
			// m:created, m:updated and p:* (relationship lineage) are not projected.
		case "add_peer", "remove_peer":
			if err := p.rel(c, ch.Node, ch.Field, ch.Peer, ch.Op == "remove_peer", false); err != nil {
				return fmt.Errorf("change %d: %w", i, err)
			}
		case "claim":
			p.claim(c, ch.Kind, ch.Constraint, ch.Key, ch.Node, false)
		case "release":
			p.claim(c, ch.Kind, ch.Constraint, ch.Key, "", false)
		default:
			return fmt.Errorf("change %d: unknown op %q", i, ch.Op)
		}
	}
	return nil
}

// claims queues the claims and releases of a node event.
func (p *planner) claims(c evctx, node string, cs []nodes.Claim) {
	for _, cl := range cs {
		holder := node
		if cl.Release {
			holder = ""
		}
		p.claim(c, cl.Kind, cl.Constraint, cl.Key, holder, cl.Global)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
