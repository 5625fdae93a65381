package commands

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/infrahub-go/infrahub/branch"
	"github.com/infrahub-go/infrahub/branch/graph"
	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/commands/values"
	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/schema"
)

// NodeState is the branch state node commands decide against.
type NodeState interface {
	View(branch string, at int64) (*nodes.View, error)
}

// Nodes decides the node commands: create, update, upsert, delete, relationship add and remove,
// and batches of them.
type Nodes struct {
	Log     events.Appender
	Cat     *events.Catalogue
	State   NodeState
	Sync    Syncer
	Default string // default branch
	// WaitFor, when set, waits until the state has folded a log position. Commands on one branch
	// are then decided one at a time in this process, each after the previous one is folded, so
	// that concurrent writers to a branch take turns instead of all failing their version check
	// but one (other processes still meet the version check, and decide again).
	WaitFor func(ctx context.Context, pos int64) error

	// Locks, when set, is shared by every process writing to the log (Redis in distributed
	// mode): commands that allocate from resource pools take its lock, then catch up with the
	// log, so that allocations of different processes on different branches take turns too.
	Locks Locker

	locks     sync.Map // branch name → *sync.Mutex
	poolHints sync.Map // pool id → the last resource given from it
}

// poolsLock is the lock name commands that allocate from resource pools share.
const poolsLock = "\x00resource-pools"

// Locker takes named locks shared between processes.
type Locker interface {
	Lock(ctx context.Context, name string) (unlock func(), err error)
}

func (h *Nodes) lock(name string) func() {
	if h.WaitFor == nil {
		return func() {}
	}
	m, _ := h.locks.LoadOrStore(name, &sync.Mutex{})
	mu := m.(*sync.Mutex)
	mu.Lock()
	return mu.Unlock
}

// Data is the data of a node as commands take it: attribute name → value or
// {"value", "source", "owner", "is_protected"}; relationship name → related node(s), each an id,
// an HFID (string or list), {"id"}, {"hfid"} or {"ref"} (a label given to an earlier operation of
// the same batch); a list for a cardinality-many relationship replaces the set.
type Data map[string]json.RawMessage

// nodeError names the node and the field of a refusal.
func nodeError(kind, field string, err error) error {
	where := kind
	if field != "" {
		where += fmt.Sprintf(", field %q", field)
	}
	var ue *UniquenessError
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", where, err)
	}
	if errors.Is(err, ErrNotFound) || errors.Is(err, ErrConflict) || errors.Is(err, ErrInvalid) {
		return fmt.Errorf("%s: %w", where, err)
	}
	return fmt.Errorf("%w: %s: %v", ErrInvalid, where, err)
}

// attrInput is an attribute value with optional lineage.
type attrInput struct {
	value                   any
	source, owner           *string
	isProtected             *bool
	hasValue, lineageChange bool
	// fromPool names the number pool to take the value from; claim is the pool's claim of the
	// value taken (set once allocated)
	fromPool *PoolRef
	claim    *claimKey
}

func parseAttrInput(raw json.RawMessage) (attrInput, error) {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return attrInput{}, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return attrInput{value: v, hasValue: true}, nil
	}
	wrapped := false
	for k := range m {
		switch k {
		case "value", "source", "owner", "is_protected", "is_visible", "from_pool":
			wrapped = true
		}
	}
	if !wrapped {
		return attrInput{value: v, hasValue: true}, nil
	}
	var in attrInput
	for k, x := range m {
		switch k {
		case "value":
			in.value, in.hasValue = x, true
		case "source", "owner":
			s, err := refID(x)
			if err != nil {
				return in, fmt.Errorf("%s: %w", k, err)
			}
			if k == "source" {
				in.source = &s
			} else {
				in.owner = &s
			}
			in.lineageChange = true
		case "is_protected":
			b, ok := x.(bool)
			if !ok {
				return in, fmt.Errorf("is_protected: want true or false, got %v", x)
			}
			in.isProtected = &b
			in.lineageChange = true
		case "from_pool":
			p, err := parsePoolRef(x)
			if err != nil {
				return in, err
			}
			in.fromPool = &p
		case "is_visible":
		default:
			return in, fmt.Errorf("unknown key %q (want value, from_pool, source, owner, is_protected)", k)
		}
	}
	return in, nil
}

// refID reads a lineage reference: an id string or {"id": ...}.
func refID(x any) (string, error) {
	switch v := x.(type) {
	case nil:
		return "", nil
	case string:
		if _, err := graph.ParseNodeID(v); err != nil {
			return "", fmt.Errorf("%q is not a node id", v)
		}
		return v, nil
	case map[string]any:
		return refID(v["id"])
	}
	return "", fmt.Errorf("want a node id, got %v", x)
}

// Ref is a related node as a command names it.
type Ref struct {
	ID   string   `json:"id,omitempty"`
	HFID []string `json:"hfid,omitempty"`
	Ref  string   `json:"ref,omitempty"`
	Kind string   `json:"kind,omitempty"`
	// Relationship properties of this end (Infrahub's _relation__source etc.).
	Source      string `json:"_relation__source,omitempty"`
	Owner       string `json:"_relation__owner,omitempty"`
	IsProtected *bool  `json:"_relation__is_protected,omitempty"`
	// FromPool asks a resource pool for a new peer.
	FromPool *PoolRef `json:"from_pool,omitempty"`
}

func parseRef(x any) (Ref, error) {
	switch v := x.(type) {
	case string:
		if _, err := graph.ParseNodeID(v); err == nil {
			return Ref{ID: v}, nil
		}
		return Ref{HFID: []string{v}}, nil
	case []any:
		h := make([]string, 0, len(v))
		for _, p := range v {
			h = append(h, fmt.Sprint(p))
		}
		return Ref{HFID: h}, nil
	case map[string]any:
		if fp, ok := v["from_pool"]; ok {
			p, err := parsePoolRef(fp)
			if err != nil {
				return Ref{}, err
			}
			return Ref{FromPool: &p}, nil
		}
		raw, _ := json.Marshal(v)
		var r Ref
		dec := json.NewDecoder(strings.NewReader(string(raw)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&r); err != nil {
			return r, fmt.Errorf("related node: %v", err)
		}
		if r.ID == "" && len(r.HFID) == 0 && r.Ref == "" {
			return r, errors.New("related node: give id, hfid or ref")
		}
		return r, nil
	}
	return Ref{}, fmt.Errorf("related node: want an id, an hfid or an object, got %v", x)
}

// parseRefs reads a relationship value: one related node for cardinality one (null: none), a
// list of related nodes for many.
func parseRefs(r *schema.Relationship, raw json.RawMessage) ([]Ref, error) {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, err
	}
	if v == nil {
		return nil, nil
	}
	if r.Cardinality == "one" {
		if l, ok := v.([]any); ok && len(l) == 0 {
			return nil, nil
		}
		ref, err := parseRef(v)
		if err != nil {
			return nil, err
		}
		return []Ref{ref}, nil
	}
	list, ok := v.([]any)
	if !ok {
		list = []any{v}
	}
	out := make([]Ref, 0, len(list))
	for i, x := range list {
		ref, err := parseRef(x)
		if err != nil {
			return nil, fmt.Errorf("item %d: %w", i+1, err)
		}
		out = append(out, ref)
	}
	return out, nil
}

// resolveRef finds the node a reference names, checking it exists and has a kind the
// relationship accepts.
func (t *tx) resolveRef(r *schema.Relationship, ref Ref) (graph.NodeID, error) {
	var id graph.NodeID
	switch {
	case ref.FromPool != nil:
		x, err := t.allocateIP(*ref.FromPool)
		if err != nil {
			return id, err
		}
		id = x
	case ref.Ref != "":
		x, ok := t.refs[ref.Ref]
		if !ok {
			return id, fmt.Errorf("%w: no earlier operation of the batch is labelled %q", ErrNotFound, ref.Ref)
		}
		id = x
	case ref.ID != "":
		x, err := graph.ParseNodeID(ref.ID)
		if err != nil {
			return id, fmt.Errorf("%w: %q is not a node id", ErrInvalid, ref.ID)
		}
		id = x
	default:
		kind := r.Peer
		if ref.Kind != "" {
			kind = ref.Kind
		}
		x, ok := t.byHFID(kind, ref.HFID)
		if !ok {
			return id, fmt.Errorf("%w: no %s with hfid %q", ErrNotFound, kind, ref.HFID)
		}
		id = x
	}
	n := t.node(id)
	if n == nil {
		return id, fmt.Errorf("%w: related node %s does not exist", ErrNotFound, id)
	}
	if !slices.Contains(t.v.Kinds(r.Peer), n.kind) && n.kind != r.Peer {
		return id, fmt.Errorf("%w: related node %s is a %s, the relationship takes %s", ErrInvalid, id, n.kind, r.Peer)
	}
	return id, nil
}

// relInput is one relationship given in a command: its resolved peers and lineage.
type relInput struct {
	rel   *schema.Relationship
	field string
	peers []graph.NodeID
	props *nodes.Props
	// pools are from_pool requests, each a new peer once allocated (resolvePools)
	pools []PoolRef
}

// checkCount refuses a peer count the relationship does not allow.
func checkCount(r *schema.Relationship, n int) error {
	switch {
	case r.Cardinality == "one" && n > 1:
		return fmt.Errorf("%w: cardinality one takes one related node, got %d", ErrInvalid, n)
	case r.MaxCount > 0 && n > r.MaxCount:
		return fmt.Errorf("%w: at most %d related nodes, got %d", ErrInvalid, r.MaxCount, n)
	case n > 0 && r.MinCount > 0 && n < r.MinCount:
		return fmt.Errorf("%w: at least %d related nodes, got %d", ErrInvalid, r.MinCount, n)
	}
	return nil
}

// parseData splits a command's data into attributes and relationships of model, resolving and
// checking everything; the error names the field.
func (t *tx) parseData(m *schema.Node, data Data) (map[string]attrInput, map[string]relInput, error) {
	attrs := map[string]attrInput{}
	rels := map[string]relInput{}
	names := make([]string, 0, len(data))
	for k := range data {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, name := range names {
		raw := data[name]
		if a, ok := attrOf(m, name); ok {
			in, err := parseAttrInput(raw)
			if err != nil {
				return nil, nil, nodeError(m.Kind, name, err)
			}
			if in.fromPool != nil {
				if in.hasValue {
					return nil, nil, nodeError(m.Kind, name, fmt.Errorf("%w: give value or from_pool, not both", ErrInvalid))
				}
				attrs[name] = in // allocated by resolvePools
				continue
			}
			if in.hasValue {
				if a.ReadOnly {
					return nil, nil, nodeError(m.Kind, name, fmt.Errorf("%w: the attribute is read-only", ErrInvalid))
				}
				v, err := values.Normalize(a, in.value)
				if err != nil {
					return nil, nil, nodeError(m.Kind, name, err)
				}
				in.value = nodes.Canon(v)
			}
			attrs[name] = in
			continue
		}
		r, field, ok := relOf(m, name)
		if !ok {
			return nil, nil, nodeError(m.Kind, name, fmt.Errorf("%w: %s has no attribute or relationship %q", ErrInvalid, m.Kind, name))
		}
		if r.ReadOnly {
			return nil, nil, nodeError(m.Kind, name, fmt.Errorf("%w: the relationship is read-only", ErrInvalid))
		}
		refs, err := parseRefs(r, raw)
		if err != nil {
			return nil, nil, nodeError(m.Kind, name, err)
		}
		in := relInput{rel: r, field: field}
		for _, ref := range refs {
			if ref.FromPool != nil {
				in.pools = append(in.pools, *ref.FromPool) // allocated by resolvePools
				continue
			}
			id, err := t.resolveRef(r, ref)
			if err != nil {
				return nil, nil, nodeError(m.Kind, name, err)
			}
			if !slices.Contains(in.peers, id) {
				in.peers = append(in.peers, id)
			}
			if ref.Source != "" || ref.Owner != "" || ref.IsProtected != nil {
				p := nodes.Props{Source: ref.Source, Owner: ref.Owner, IsProtected: ref.IsProtected != nil && *ref.IsProtected}
				in.props = &p
			}
		}
		if err := checkCount(r, len(in.peers)+len(in.pools)); err != nil {
			return nil, nil, nodeError(m.Kind, name, err)
		}
		slices.SortFunc(in.peers, graph.NodeID.Compare)
		rels[name] = in
	}
	return attrs, rels, nil
}

// modelOf finds a node kind for a command; the error names the field.
func (t *tx) modelOf(kind string) (*schema.Node, error) {
	if kind == "" {
		return nil, fmt.Errorf("%w: field \"kind\" is required", ErrInvalid)
	}
	if m, ok := t.set.Node(kind); ok {
		return m, nil
	}
	if g, ok := t.set.Generic(kind); ok {
		return nil, fmt.Errorf("%w: field \"kind\": %s is a generic; use one of its node kinds %v", ErrInvalid, kind, g.UsedBy)
	}
	return nil, fmt.Errorf("%w: field \"kind\": unknown kind %q on branch %s", ErrInvalid, kind, t.v.Branch)
}

// target finds the node an update, delete or relationship command names (id or hfid).
func (t *tx) target(kind, id string, hfid []string) (*txNode, error) {
	switch {
	case id != "":
		nid, err := graph.ParseNodeID(id)
		if err != nil {
			return nil, fmt.Errorf("%w: field \"id\": %q is not a node id", ErrInvalid, id)
		}
		n := t.node(nid)
		if n == nil {
			return nil, fmt.Errorf("%w: node %s on branch %s", ErrNotFound, id, t.v.Branch)
		}
		if kind != "" && n.kind != kind && !slices.Contains(t.v.Kinds(kind), n.kind) {
			return nil, fmt.Errorf("%w: field \"kind\": node %s is a %s, not a %s", ErrInvalid, id, n.kind, kind)
		}
		return n, nil
	case len(hfid) > 0:
		if kind == "" {
			return nil, fmt.Errorf("%w: field \"kind\" is required with \"hfid\"", ErrInvalid)
		}
		nid, ok := t.byHFID(kind, hfid)
		if !ok {
			return nil, fmt.Errorf("%w: no %s with hfid %q on branch %s", ErrNotFound, kind, hfid, t.v.Branch)
		}
		return t.node(nid), nil
	}
	return nil, fmt.Errorf("%w: give field \"id\" or \"hfid\"", ErrInvalid)
}

// decide runs build against a fresh View of the branch and appends what it decided. When the
// append meets a newer version of the stream (another writer got there first), it decides again
// on a View that has seen the whole log. A refusal is also checked once against such a View: the
// state may not have folded the client's previous write yet (a branch just created, a node the
// command refers to).
func (h *Nodes) decide(ctx context.Context, cmd Command, name string, build func(t *tx) error) (Result, *tx, error) {
	if name == "" {
		name = h.Default
	}
	defer h.lock(name)()
	synced := false
	var unlockPools func()
	defer func() {
		if unlockPools != nil {
			unlockPools()
		}
	}()
	for attempt := 0; ; attempt++ {
		t, err := h.decideOnce(name, build)
		if err == nil && t.allocates && unlockPools == nil && (h.WaitFor != nil || h.Locks != nil) {
			// Allocations are claimed on every branch at once: commands that allocate take
			// turns across branches (in this process, and with Locks across processes),
			// deciding again once it is their turn, on a state that has read the whole log.
			unlockPools = h.lock(poolsLock)
			if h.Locks != nil {
				unlockShared, lerr := h.Locks.Lock(ctx, "resource-pools")
				if lerr != nil {
					return Result{}, nil, fmt.Errorf("%s: resource pools lock: %w", cmd.Type, lerr)
				}
				local := unlockPools
				unlockPools = func() { unlockShared(); local() }
				if serr := h.Sync(ctx); serr != nil {
					return Result{}, nil, fmt.Errorf("%s: %w", cmd.Type, serr)
				}
				synced = true
			}
			continue
		}
		if err == nil {
			var res Result
			res, err = h.appendTx(ctx, cmd, t)
			if err == nil {
				for pool, a := range t.gave {
					h.poolHints.Store(pool, a)
				}
			}
			if err == nil && h.WaitFor != nil && len(res.Positions) > 0 {
				if werr := h.WaitFor(ctx, res.Positions[len(res.Positions)-1]); werr != nil {
					return res, t, fmt.Errorf("%s: written at %d, not yet readable: %w", cmd.Type, res.Positions[len(res.Positions)-1], werr)
				}
			}
			if err == nil || !errors.Is(err, events.ErrVersionConflict) || attempt >= 50 {
				return res, t, err
			}
		} else if synced {
			return Result{}, nil, err
		}
		if serr := h.Sync(ctx); serr != nil {
			return Result{}, nil, fmt.Errorf("%s: %w (then: %v)", cmd.Type, err, serr)
		}
		synced = true
	}
}

func (h *Nodes) decideOnce(name string, build func(t *tx) error) (*tx, error) {
	v, err := h.State.View(name, 0)
	if err != nil {
		return nil, fmt.Errorf("%w: field \"branch\": %v", ErrNotFound, err)
	}
	if v.Info.Status == branch.StatusMerged {
		return nil, fmt.Errorf("%w: field \"branch\": branch %s is merged: it takes no more changes", ErrInvalid, name)
	}
	t := newTx(v)
	t.hints = &h.poolHints
	if err := build(t); err != nil {
		return nil, err
	}
	return t, nil
}

// appendTx appends what t decided at the versions its View saw.
func (h *Nodes) appendTx(ctx context.Context, cmd Command, t *tx) (Result, error) {
	v := t.v
	stream, version := branch.Stream(v.Branch), v.Version
	if t.global && (v.Info.IsDefault || !t.aware) {
		stream, version = branch.Stream(h.Default), v.MainVersion
	} else if t.global {
		return Result{}, fmt.Errorf("%w: one command cannot change branch-agnostic and branch-aware nodes on branch %s; send them separately", ErrInvalid, v.Branch)
	}
	if len(t.events) == 0 {
		return Result{CommandID: cmd.ID, Stream: stream, StreamVersion: version}, nil
	}
	evs, err := t.build(h.Cat, cmd)
	if err != nil {
		return Result{}, err
	}
	res, err := h.Log.Append(ctx, stream, version, evs...)
	if err != nil {
		return Result{}, fmt.Errorf("%s: %w", cmd.Type, err)
	}
	return resultOf(stream, cmd.ID, res), nil
}

// Register adds the node commands to a dispatcher.
func (h *Nodes) Register(d *Dispatcher) {
	d.Register(TypeCreateNode, h.CreateNode)
	d.Register(TypeUpdateNode, h.UpdateNode)
	d.Register(TypeUpsertNode, h.UpsertNode)
	d.Register(TypeDeleteNode, h.DeleteNode)
	d.Register(TypeAddPeers, h.AddPeers)
	d.Register(TypeRemovePeers, h.RemovePeers)
	d.Register(TypeBatch, h.Batch)
	d.Register(TypeLoadObjects, h.LoadObjects)
	d.Register(TypeAllocate, h.Allocate)
}
