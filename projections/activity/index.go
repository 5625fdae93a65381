package activity

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"

	"github.com/google/uuid"

	"github.com/infrahub-go/infrahub/branch"
	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/fault"
	"github.com/infrahub-go/infrahub/limits"
	"github.com/infrahub-go/infrahub/projections/graph"
)

// DefaultPage is the page size of a Query without a Limit (Infrahub's default).
const DefaultPage = 50

// IndexConfig configures an Index.
type IndexConfig struct {
	// Log, Graph and WaitFor are what List re-derives the events of a page with (previous
	// values read from the graph at their positions); Apply needs none of them.
	Log      events.Reader
	Graph    graph.Reader
	WaitFor  func(ctx context.Context, pos events.Position) error
	SchemaOf SchemaOf
	// MaxPage bounds Query.Limit (limits.Limits.EventPage; default 1,000).
	MaxPage int
	// Decoded, when set, answers payloads already decoded (Deriver.Decoded).
	Decoded func(env events.Envelope) (any, bool)
}

// record is what the Index keeps of one event: about 100 bytes plus 16 per related node (no
// attribute value, no payload). Strings that repeat (branches, accounts, kinds) are interned.
// It holds no pointer (its related nodes are a range of Index.related): the garbage collector
// does not scan the records, however many the log derives.
type record struct {
	pos     events.Position
	at      int64 // occurred_at, Unix nanoseconds
	id      uuid.UUID
	env     uuid.UUID // the log event's id: the parent of level-1 events
	node    uuid.UUID // the primary node (zero: none)
	relFrom uint32    // related nodes: Index.related[relFrom:relTo]
	relTo   uint32
	branch  uint32
	account uint32
	kind    uint32
	index   uint16
	name    uint8
	level   uint8
	hasKids bool
}

// Index is a projector keeping a compact record of every event derived from the log, and the
// Lister of InfrahubEvent: List filters, sorts and pages the records, then derives the page's
// events again with their details. Apply never reads the graph: it derives from the envelope,
// the schema and the kinds of the nodes created so far (kept here: about 40 bytes per node).
type Index struct {
	cfg IndexConfig

	mu      sync.RWMutex
	records []record
	related []uuid.UUID // the records' related nodes, each record's a range
	strs    []string
	strIDs  map[string]uint32
	kinds   map[uuid.UUID]uint32
	pos     events.Position
	apply   *indexApply
}

// indexApply is what Apply reuses from one envelope to the next: its Deriver (built once), the
// payload of the envelope at hand, and the slabs the events are derived into (they are
// recorded before the next envelope is derived).
type indexApply struct {
	dv      Deriver
	at      events.Position
	decoded any
	known   bool
	scratch deriveScratch
}

// payload answers the payload of the envelope at hand (Deriver.Decoded).
func (a *indexApply) payload(env events.Envelope) (any, bool) {
	return a.decoded, a.known && env.GlobalPosition == a.at
}

// NewIndex validates cfg and returns an empty Index.
func NewIndex(cfg IndexConfig) (*Index, error) {
	if cfg.MaxPage < 0 {
		return nil, fault.New(fault.ErrInvalid, "activity index: MaxPage may not be negative")
	}
	if cfg.MaxPage == 0 {
		cfg.MaxPage = limits.Default().EventPage
	}
	ix := &Index{cfg: cfg, apply: &indexApply{}}
	ix.apply.dv = Deriver{SchemaOf: cfg.SchemaOf, KindOf: ix.kindOf, Records: true, Decoded: ix.apply.payload, scratch: &ix.apply.scratch}
	ix.clear()
	return ix, nil
}

func (ix *Index) clear() {
	ix.records, ix.related, ix.strs, ix.strIDs, ix.kinds, ix.pos = nil, nil, []string{""}, map[string]uint32{"": 0}, map[uuid.UUID]uint32{}, 0
}

// Name is the projector's name.
func (ix *Index) Name() string { return "activity" }

// Version is the projection's shape version.
func (ix *Index) Version() int { return 1 }

// Reset drops every record.
func (ix *Index) Reset(context.Context) error {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.clear()
	return nil
}

// Len is the number of events indexed.
func (ix *Index) Len() int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return len(ix.records)
}

func (ix *Index) intern(s string) uint32 {
	if id, ok := ix.strIDs[s]; ok {
		return id
	}
	id := uint32(len(ix.strs))
	ix.strs = append(ix.strs, s)
	ix.strIDs[s] = id
	return id
}

// kindOf answers the kind of a node created in the log folded so far (callers hold mu).
func (ix *Index) kindOf(id string) (string, bool) {
	u, err := uuid.Parse(id)
	if err != nil {
		return "", false
	}
	k, ok := ix.kinds[u]
	return ix.strs[k], ok
}

// KindOf answers the kind of a node created in the log folded so far: a Deriver's KindOf.
func (ix *Index) KindOf(id string) (string, bool) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.kindOf(id)
}

// learnKinds records the kinds of the nodes env creates (decoded: its payload as Decoded
// answered it, nil when it did not).
func (ix *Index) learnKinds(env events.Envelope, decoded any) {
	learn := func(id, kind string) {
		if u, err := uuid.Parse(id); err == nil && kind != "" {
			ix.kinds[u] = ix.intern(kind)
		}
	}
	switch env.Type {
	case nodes.TypeCreated:
		if p, ok := decoded.(nodes.Created); ok {
			learn(p.ID, p.Kind)
			return
		}
		var p struct{ ID, Kind string }
		if json.Unmarshal(env.Payload, &p) == nil {
			learn(p.ID, p.Kind)
		}
	case branch.TypeMerged:
		var p branch.Merged
		if json.Unmarshal(env.Payload, &p) == nil {
			for _, c := range p.Changes {
				if c.Op == "create" {
					learn(c.Node, c.Kind)
				}
			}
		}
	}
}

var eventNames = []string{NodeCreated, NodeUpdated, NodeDeleted, BranchCreated, BranchDeleted, BranchMerged, BranchRebased,
	GroupMemberAdded, GroupMemberRemoved, ArtifactCreated, ArtifactUpdated, SchemaUpdated}

func nameIndex(name string) uint8 { return uint8(slices.Index(eventNames, name)) }

// Apply indexes the events of batch.
func (ix *Index) Apply(ctx context.Context, batch []events.Envelope) error {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	// The payload of the envelope at hand, looked up once for learnKinds and the deriving.
	a := ix.apply
	defer func() { a.decoded, a.known = nil, false }()
	for _, env := range batch {
		if env.GlobalPosition <= ix.pos {
			continue
		}
		a.at, a.decoded, a.known = env.GlobalPosition, nil, false
		if ix.cfg.Decoded != nil {
			a.decoded, a.known = ix.cfg.Decoded(env)
		}
		ix.learnKinds(env, a.decoded)
		if Relevant(env.Type) {
			evs, err := a.dv.derive(ctx, env)
			if err != nil {
				return err
			}
			for i := range evs {
				ix.records = append(ix.records, ix.record(env, &evs[i]))
			}
		}
		ix.pos = env.GlobalPosition
	}
	return nil
}

func (ix *Index) record(env events.Envelope, e *Event) record {
	r := record{pos: e.Position, at: e.OccurredAt.UnixNano(), id: eventUUID(env, e.Index), env: env.EventID,
		branch: ix.intern(e.Branch), account: ix.intern(e.AccountID), index: uint16(e.Index), name: nameIndex(e.Name),
		level: uint8(e.Level), hasKids: e.HasChildren}
	if e.PrimaryNode != nil {
		r.node, _ = uuid.Parse(e.PrimaryNode.ID)
		r.kind = ix.intern(e.PrimaryNode.Kind)
	}
	r.relFrom = uint32(len(ix.related))
	for _, n := range e.RelatedNodes {
		if u, err := uuid.Parse(n.ID); err == nil {
			ix.related = append(ix.related, u)
		}
	}
	r.relTo = uint32(len(ix.related))
	return r
}

// Position is the last log position applied.
func (ix *Index) Position() events.Position {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.pos
}

// List answers InfrahubEvent: the number of events matching q, and the page asked (newest
// first unless q.Ascending), each derived again with its attributes and previous values.
func (ix *Index) List(ctx context.Context, q Query) (int, []Event, error) {
	limit := q.Limit
	switch {
	case limit < 0 || q.Offset < 0:
		return 0, nil, fmt.Errorf("%w: limit and offset may not be negative", fault.ErrInvalid)
	case limit == 0:
		limit = DefaultPage
	case limit > ix.cfg.MaxPage:
		return 0, nil, fmt.Errorf("field \"limit\": %w", limits.Exceeded("events per page", int64(limit), int64(ix.cfg.MaxPage), limits.Setting("EventPage")))
	}
	m := ix.compile(q)
	ix.mu.RLock()
	count, page := 0, make([]record, 0, limit)
	n := len(ix.records)
	for i := range n {
		j := i
		if !q.Ascending {
			j = n - 1 - i
		}
		r := &ix.records[j]
		if !m.match(ix, r) {
			continue
		}
		if count >= q.Offset && len(page) < limit {
			page = append(page, *r)
		}
		count++
	}
	ix.mu.RUnlock()
	out, err := ix.details(ctx, page, q.Filter)
	return count, out, err
}

// details derives the events of the page's records again, one log read and one derivation per
// position.
func (ix *Index) details(ctx context.Context, page []record, f Filter) ([]Event, error) {
	if len(page) == 0 {
		return []Event{}, nil
	}
	if ix.cfg.Log == nil {
		return nil, fault.New(fault.ErrUnavailable, "activity index: no log to read events from")
	}
	top := slices.MaxFunc(page, func(a, b record) int { return int(a.pos - b.pos) }).pos
	if ix.cfg.WaitFor != nil {
		if err := ix.cfg.WaitFor(ctx, top); err != nil {
			return nil, err
		}
	}
	dv := Deriver{Graph: ix.cfg.Graph, SchemaOf: ix.cfg.SchemaOf, KindOf: ix.KindOf, Decoded: ix.cfg.Decoded}
	derived := map[events.Position][]Event{}
	out := make([]Event, 0, len(page))
	for _, r := range page {
		evs, ok := derived[r.pos]
		if !ok {
			batch, err := ix.cfg.Log.ReadAll(ctx, r.pos-1, 1)
			if err != nil {
				return nil, fmt.Errorf("activity index: read log position %d: %w", r.pos, err)
			}
			if len(batch) == 0 || batch[0].GlobalPosition != r.pos {
				return nil, fmt.Errorf("activity index: log position %d is missing: %w", r.pos, fault.ErrUnavailable)
			}
			if evs, err = dv.Derive(ctx, batch[0]); err != nil {
				return nil, err
			}
			derived[r.pos] = evs
		}
		if int(r.index) >= len(evs) || evs[r.index].ID != r.id.String() {
			return nil, fmt.Errorf("activity index: the events of log position %d no longer derive as indexed: %w", r.pos, fault.ErrConflict)
		}
		out = append(out, f.Visible(evs[r.index]))
	}
	return out, nil
}
