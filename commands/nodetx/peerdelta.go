package nodetx

import "github.com/infrahub-go/infrahub/branch/graph"

// peerDelta is what a command changed in the peers of one relationship slot: peer → present.
// Most slots a command touches change one or a few peers: those are kept in a short list, a
// map only once they are many.
type peerDelta struct {
	few  []peerChange
	many map[graph.NodeID]bool
	one  [1]peerChange // few's first change, without an allocation of its own
}

type peerChange struct {
	peer    graph.NodeID
	present bool
}

// peerDeltaFew is how many changes a peerDelta keeps in its list.
const peerDeltaFew = 8

func (d *peerDelta) len() int {
	if d == nil {
		return 0
	}
	if d.many != nil {
		return len(d.many)
	}
	return len(d.few)
}

// get answers whether the command added (true) or removed (false) peer p; ok is false when
// it did neither.
func (d *peerDelta) get(p graph.NodeID) (present, ok bool) {
	switch {
	case d == nil:
		return false, false
	case d.many != nil:
		present, ok = d.many[p]
		return present, ok
	}
	for _, c := range d.few {
		if c.peer == p {
			return c.present, true
		}
	}
	return false, false
}

func (d *peerDelta) set(p graph.NodeID, present bool) {
	if d.many != nil {
		d.many[p] = present
		return
	}
	for i := range d.few {
		if d.few[i].peer == p {
			d.few[i].present = present
			return
		}
	}
	switch {
	case d.few == nil:
		d.one[0] = peerChange{p, present}
		d.few = d.one[:1]
		return
	case len(d.few) < cap(d.few):
		d.few = append(d.few, peerChange{p, present})
		return
	case len(d.few) < peerDeltaFew: // grown once, to the most the list holds
		few := make([]peerChange, len(d.few), peerDeltaFew)
		copy(few, d.few)
		d.few = append(few, peerChange{p, present})
		return
	}
	d.many = make(map[graph.NodeID]bool, 2*peerDeltaFew)
	for _, c := range d.few {
		d.many[c.peer] = c.present
	}
	d.many[p] = present
	d.few = nil
}

func (d *peerDelta) each(f func(p graph.NodeID, present bool)) {
	if d.many != nil {
		for p, present := range d.many {
			f(p, present)
		}
		return
	}
	for _, c := range d.few {
		f(c.peer, c.present)
	}
}
