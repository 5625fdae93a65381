package nodes

import (
	"fmt"
	"time"

	"github.com/infrahub-go/infrahub/branch"
	"github.com/infrahub-go/infrahub/branch/graph"
	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/schema"
)

// View is one branch at one log position: everything a decider or a reader sees. Views are
// cheap and immutable: later writes never change what a View answers.
type View struct {
	g                          *graph.State
	kinds, fields, constraints *graph.Interner
	Branch                     string // as the user names it ("main" for the default branch)
	gname                      string // as branch/graph names it
	Position                   events.Position
	Schema                     *schema.Set
	// Version is the version of the branch's stream and MainVersion of the default branch's,
	// as of Position (when the View is at the head): the expected versions of the next append.
	Version     int64
	MainVersion int64
	Info        branch.Info
}

// View returns branch as of log position at (0 or beyond the head: the head).
func (s *Store) View(name string, at events.Position) (*View, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	info, ok := s.branches.Branch(name)
	if !ok {
		return nil, fmt.Errorf("%w: %q", branch.ErrNotFound, name)
	}
	set, version := s.branches.Schema(name)
	_, mainVersion := s.branches.Schema(branch.Default)
	pos := s.position
	if at > 0 && at < pos {
		pos = at
		set = s.branches.SchemaAt(name, pos)
	}
	gname := name
	if info.IsDefault {
		gname = graph.Main
	}
	return &View{g: s.g, kinds: s.kinds, fields: s.fields, constraints: s.constraints, Branch: name, gname: gname, Position: pos, Schema: set, Version: version,
		MainVersion: mainVersion, Info: info}, nil
}

// PositionAt is the log position that was current at t (0 before the first write).
func (s *Store) PositionAt(t time.Time) events.Position {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return events.Position(s.g.PositionAt(t))
}

// RecordedAt is when a position was written.
func (s *Store) RecordedAt(pos events.Position) (time.Time, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.g.RecordedAt(int64(pos))
}

// at is the View's position as branch/graph counts positions.
func (v *View) at() int64 { return int64(v.Position) }

func (v *View) fid(name string) (graph.FieldID, bool) {
	id, ok := v.fields.Lookup(name)
	return graph.FieldID(id), ok
}

func (v *View) get(id graph.NodeID, field string) (graph.Value, bool) {
	f, ok := v.fid(field)
	if !ok {
		return graph.Value{}, false
	}
	val, ok, err := v.g.Get(v.gname, graph.Slot{Node: id, Field: f}, v.at())
	if err != nil {
		return graph.Value{}, false
	}
	return val, ok
}

// Kind is the kind of a live node, false when it does not exist here.
func (v *View) Kind(id graph.NodeID) (string, bool) {
	k, ok, err := v.g.Exists(v.gname, id, v.at())
	if err != nil || !ok {
		return "", false
	}
	return v.kinds.Name(uint32(k)), true
}

// Attr is the stored state of an attribute; false when never set.
func (v *View) Attr(id graph.NodeID, name string) (Attr, bool) {
	f, ok := v.fid(AttrField(name))
	if !ok {
		return Attr{}, false
	}
	return v.AttrAt(id, f)
}

// FieldOf resolves a stored field name (AttrField, RelField, ...) once for reads of many nodes;
// false when nothing was ever stored under it.
func (v *View) FieldOf(field string) (graph.FieldID, bool) { return v.fid(field) }

// AttrAt is Attr of a field resolved by FieldOf.
func (v *View) AttrAt(id graph.NodeID, f graph.FieldID) (Attr, bool) {
	val, ok, err := v.g.Get(v.gname, graph.Slot{Node: id, Field: f}, v.at())
	if err != nil || !ok {
		return Attr{}, false
	}
	a := Attr{Value: val.Data, IsProtected: val.Lineage.IsProtected, IsDefault: val.Lineage.IsDefault}
	if !val.Lineage.Source.IsZero() {
		a.Source = val.Lineage.Source.String()
	}
	if !val.Lineage.Owner.IsZero() {
		a.Owner = val.Lineage.Owner.String()
	}
	return a, true
}

// Peers is the peer set of a relationship slot (RelField).
func (v *View) Peers(id graph.NodeID, field string) []graph.NodeID {
	val, _ := v.get(id, field)
	return val.Peers
}

// HasPeer reports whether peer is in a relationship slot, without reading the whole set.
func (v *View) HasPeer(id graph.NodeID, field string, peer graph.NodeID) bool {
	f, ok := v.fid(field)
	if !ok {
		return false
	}
	has, err := v.g.HasPeer(v.gname, graph.Slot{Node: id, Field: f}, peer, v.at())
	return has && err == nil
}

// PeersOf is the peer sets of one relationship slot of many nodes, in the order of ids.
func (v *View) PeersOf(ids []graph.NodeID, field string) [][]graph.NodeID {
	f, ok := v.fid(field)
	if !ok {
		return make([][]graph.NodeID, len(ids))
	}
	out, err := v.g.Peers(v.gname, ids, f, v.at())
	if err != nil {
		return make([][]graph.NodeID, len(ids))
	}
	return out
}

// Props is the lineage of one end of a relationship.
func (v *View) Props(id graph.NodeID, field string) Props {
	val, _ := v.get(id, PropsField(field))
	p := Props{IsProtected: val.Lineage.IsProtected}
	if !val.Lineage.Source.IsZero() {
		p.Source = val.Lineage.Source.String()
	}
	if !val.Lineage.Owner.IsZero() {
		p.Owner = val.Lineage.Owner.String()
	}
	return p
}

// HFID is the node's human-friendly id (nil when its kind has none).
func (v *View) HFID(id graph.NodeID) []string {
	val, _ := v.get(id, FieldHFID)
	return hfidOf(val.Data)
}

// DisplayLabel is the node's display label.
func (v *View) DisplayLabel(id graph.NodeID) string {
	val, _ := v.get(id, FieldLabel)
	s, _ := val.Data.(string)
	return s
}

// Stamp is when and by whom something was written.
type Stamp struct {
	At time.Time
	By string
}

// Meta is when the node was created and last updated.
func (v *View) Meta(id graph.NodeID) (created, updated Stamp) {
	read := func(field string) Stamp {
		val, _ := v.get(id, field)
		return stampOf(val.Data)
	}
	return read(FieldCreated), read(FieldUpdated)
}

// Kinds is the node kinds a kind stands for: itself for a node, its users for a generic.
func (v *View) Kinds(kind string) []string {
	if g, ok := v.Schema.Generic(kind); ok {
		return g.UsedBy
	}
	return []string{kind}
}

// Nodes lists the live nodes of kind (a node kind or a generic) in id order.
func (v *View) Nodes(kind string) []graph.NodeID {
	var out []graph.NodeID
	for i, k := range v.Kinds(kind) {
		id, ok := v.kinds.Lookup(k)
		if !ok {
			continue
		}
		list, err := v.g.Nodes(v.gname, graph.KindID(id), v.at())
		if err != nil {
			continue
		}
		if i == 0 {
			out = list
			continue
		}
		out = mergeIDs(out, list)
	}
	return out
}

// Count is the number of live nodes of kind (a node kind or a generic), without listing them.
func (v *View) Count(kind string) int64 {
	var n int64
	for _, k := range v.Kinds(kind) {
		id, ok := v.kinds.Lookup(k)
		if !ok {
			continue
		}
		c, err := v.g.Count(v.gname, graph.KindID(id), v.at())
		if err == nil {
			n += c
		}
	}
	return n
}

// Taken is the node holding value key of a uniqueness constraint of kind.
func (v *View) Taken(kind, constraint, key string) (graph.NodeID, bool) {
	k, ok := v.kinds.Lookup(kind)
	if !ok {
		return graph.NodeID{}, false
	}
	c, ok := v.constraints.Lookup(constraint)
	if !ok {
		return graph.NodeID{}, false
	}
	id, ok, err := v.g.Taken(v.gname, graph.KindID(k), graph.ConstraintID(c), key, v.at())
	return id, ok && err == nil
}

// ByHFID finds a live node of kind (a node kind or a generic) by its human-friendly id.
func (v *View) ByHFID(kind string, hfid []string) (graph.NodeID, bool) {
	key := HFIDKey(hfid)
	for _, k := range v.Kinds(kind) {
		if id, ok := v.Taken(k, ConstraintHFID, key); ok {
			if _, live := v.Kind(id); live {
				return id, true
			}
		}
	}
	return graph.NodeID{}, false
}

// ConstraintHFID is the uniqueness constraint under which human-friendly ids are claimed.
const ConstraintHFID = "hfid"

// HFIDKey is the claim key of a human-friendly id.
func HFIDKey(hfid []string) string {
	n := 0
	for _, p := range hfid {
		n += len(p) + 1
	}
	b := make([]byte, 0, n)
	for i, p := range hfid {
		if i > 0 {
			b = append(b, 0)
		}
		b = append(b, p...)
	}
	return string(b)
}

func mergeIDs(a, b []graph.NodeID) []graph.NodeID {
	out := make([]graph.NodeID, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		if a[i].Compare(b[j]) <= 0 {
			out = append(out, a[i])
			i++
		} else {
			out = append(out, b[j])
			j++
		}
	}
	out = append(out, a[i:]...)
	return append(out, b[j:]...)
}
