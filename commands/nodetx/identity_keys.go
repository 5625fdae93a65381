package nodetx

import (
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/schema"
)

// kindConstraints is what keyList reads of a kind, worked out once per kind in a transaction:
// the paths its uniqueness constraints and human-friendly id read, each listed once, and the
// constraints by name (a constraint listed twice once), each with the paths it reads.
type kindConstraints struct {
	reads []string
	cons  []plannedConstraint
	hfid  []int // the human-friendly id's parts, as indexes in reads
}

type plannedConstraint struct {
	name string
	at   []int // indexes in reads
}

// kindPlans caches the kindConstraints of each kind (*schema.Node) the process decided on: a
// schema's kinds do not change once loaded, and a transaction of a few creates (a turn) would
// work them out again. Emptied when it holds maxKindPlans kinds (schemas replaced many times).
var kindPlans struct {
	m sync.Map // *schema.Node → *kindConstraints
	n atomic.Int64
}

const maxKindPlans = 4096

// constraintsOf is the kindConstraints of m, worked out once per kind.
func (rx identity) constraintsOf(m *schema.Node) *kindConstraints {
	if c, ok := kindPlans.m.Load(m); ok {
		return c.(*kindConstraints)
	}
	c := planConstraints(m)
	if kindPlans.n.Add(1) > maxKindPlans {
		kindPlans.m.Clear()
		kindPlans.n.Store(1)
	}
	kindPlans.m.Store(m, c)
	return c
}

// planConstraints works out the kindConstraints of m.
func planConstraints(m *schema.Node) *kindConstraints {
	c := &kindConstraints{}
	index := func(path string) int {
		if i := slices.Index(c.reads, path); i >= 0 {
			return i
		}
		c.reads = append(c.reads, path)
		return len(c.reads) - 1
	}
	for _, p := range constraints(m) {
		pc := plannedConstraint{name: joinConstraint(p), at: make([]int, len(p))}
		for i, path := range p {
			pc.at[i] = index(path)
		}
		c.cons = append(c.cons, pc)
	}
	// by name; of two constraints of one name (the same paths: the same key), the first
	slices.SortStableFunc(c.cons, func(a, b plannedConstraint) int { return strings.Compare(a.name, b.name) })
	c.cons = slices.CompactFunc(c.cons, func(a, b plannedConstraint) bool { return a.name == b.name })
	for _, path := range m.HumanFriendlyID {
		c.hfid = append(c.hfid, index(path))
	}
	return c
}

// keys computes the claim keys of a node (constraint name → key), HFID included; parts
// that are unset leave their constraint out.
func (rx identity) keys(n *txNode) map[string]string {
	var room [4]constraintKey
	list, _ := rx.keyList(n, room[:0])
	out := make(map[string]string, len(list))
	for _, k := range list {
		out[k.constraint] = k.key
	}
	return out
}

// constraintKey is the key of one uniqueness constraint of a node.
type constraintKey struct{ constraint, key string }

// pathRead is the value of one path of a node, read once (state: 0 not read yet, 1 set, 2 unset).
type pathRead struct {
	v     any
	state uint8
}

// pathReads reads the paths of a kindConstraints for one node, each once.
type pathReads struct {
	rx    identity
	n     *txNode
	paths []string
	got   []pathRead
}

func (r *pathReads) get(i int) (any, bool) {
	g := &r.got[i]
	if g.state == 0 {
		g.state = 2
		if v, ok := r.rx.pathValue(r.n, r.paths[i]); ok {
			g.v, g.state = v, 1
		}
	}
	return g.v, g.state == 1
}

// keyList is keys as a list in the order reclaim claims them (the constraints by name, the
// human-friendly id last), appended to out, and the node's human-friendly id the HFID key is
// made of. Each path is read once, also when both a constraint and the human-friendly id read it.
func (rx identity) keyList(n *txNode, out []constraintKey) ([]constraintKey, []string) {
	kc := rx.constraintsOf(n.model)
	var room [8]pathRead
	r := pathReads{rx: rx, n: n, paths: kc.reads, got: room[:0]}
	if len(kc.reads) <= len(room) {
		r.got = room[:len(kc.reads)]
	} else {
		r.got = make([]pathRead, len(kc.reads))
	}
	for _, c := range kc.cons {
		var (
			key string
			ok  bool
		)
		if len(c.at) == 1 { // most constraints: one value, its key without a list
			var v any
			if v, ok = r.get(c.at[0]); ok {
				key = canonKey(nodes.Canon(v))
			}
		} else {
			key, ok = r.listKey(c.at)
		}
		if ok {
			out = append(out, constraintKey{c.name, key})
		}
	}
	var h []string
	if len(kc.hfid) > 0 {
		h = make([]string, 0, len(kc.hfid))
		for _, i := range kc.hfid {
			v, ok := r.get(i)
			if !ok {
				h = nil
				break
			}
			h = append(h, text(v))
		}
	}
	if h != nil {
		key := h[0] // nodes.HFIDKey of one part, without making it again
		if len(h) > 1 {
			key = nodes.HFIDKey(h)
		}
		out = append(out, constraintKey{nodes.ConstraintHFID, key})
	}
	return out, h
}

// listKey is the key of a constraint of several values (indexes in r.paths); ok is false when
// one is unset.
func (r *pathReads) listKey(at []int) (string, bool) {
	var room [4]any
	vals := room[:0]
	for _, i := range at {
		v, ok := r.get(i)
		if !ok {
			return "", false
		}
		vals = append(vals, nodes.Canon(v))
	}
	if key, ok := plainList(vals); ok {
		return key, true
	}
	raw, _ := json.Marshal(slices.Clone(vals)) // as canonKey: the list escapes, not room
	return string(raw), true
}
