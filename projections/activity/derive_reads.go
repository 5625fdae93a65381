package activity

import (
	"context"
	"errors"

	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/projections/graph"
)

// What a derivation reads of the graph: nodes, their labels and kinds (with the few kinds an
// envelope names kept inline).

// read reads a node at a position; ok is false when it does not exist there (or the branch
// does not, or the position is before the log).
func (d *deriving) read(br string, at events.Position, id string) (graph.Node, bool, error) {
	if at <= 0 || d.g == nil {
		return graph.Node{}, false, nil
	}
	n, err := d.g.Get(d.ctx, graph.Scope{Branch: br, At: at}, id)
	switch {
	case err == nil:
		return n, true, nil
	case errors.Is(err, graph.ErrNotFound), errors.Is(err, graph.ErrBranchNotFound):
		return graph.Node{}, false, nil
	}
	return graph.Node{}, false, err
}

// labeler is a graph.Reader that answers a node's display label alone (memory.Reader).
type labeler interface {
	DisplayLabel(ctx context.Context, s graph.Scope, id string) (string, error)
}

// label is the display label of node id on branch br at position at (ok false: no such node),
// read alone when the graph can.
func (d *deriving) label(br string, at events.Position, id string) (string, bool, error) {
	lb, ok := d.g.(labeler)
	if !ok || at <= 0 {
		n, found, err := d.read(br, at, id)
		return n.DisplayLabel, found, err
	}
	l, err := lb.DisplayLabel(d.ctx, graph.Scope{Branch: br, At: at}, id)
	switch {
	case err == nil:
		return l, true, nil
	case errors.Is(err, graph.ErrNotFound), errors.Is(err, graph.ErrBranchNotFound):
		return "", false, nil
	}
	return "", false, err
}

// kindOf is a node's kind, read after the envelope then before it.
func (d *deriving) kindOf(br, id string) (string, error) {
	if k, ok := d.kinds.get(id); ok {
		return k, nil
	}
	if d.lookup != nil {
		if k, ok := d.lookup(id); ok && k != "" {
			d.learn(id, k)
			return k, nil
		}
	}
	for _, at := range []events.Position{d.env.GlobalPosition, d.env.GlobalPosition - 1} {
		n, ok, err := d.read(br, at, id)
		if err != nil {
			return "", err
		}
		if ok {
			d.learn(id, n.Kind)
			return n.Kind, nil
		}
	}
	d.learn(id, "")
	return "", nil
}

// learn remembers the kind of node id for the rest of the envelope.
func (d *deriving) learn(id, kind string) { d.kinds.put(id, kind) }

// knownKinds is node id -> kind. A node event names a few nodes (itself and its peers): they
// are kept inline, without a map to allocate for each envelope; a merge's many go to a map.
type knownKinds struct {
	few  [8]idKind
	n    int
	many map[string]string
}

type idKind struct{ id, kind string }

func (k *knownKinds) get(id string) (string, bool) {
	if k.many != nil {
		kind, ok := k.many[id]
		return kind, ok
	}
	for i := range k.n {
		if k.few[i].id == id {
			return k.few[i].kind, true
		}
	}
	return "", false
}

func (k *knownKinds) put(id, kind string) {
	if k.many != nil {
		k.many[id] = kind
		return
	}
	for i := range k.n {
		if k.few[i].id == id {
			k.few[i].kind = kind
			return
		}
	}
	if k.n < len(k.few) {
		k.few[k.n] = idKind{id, kind}
		k.n++
		return
	}
	k.many = make(map[string]string, 2*len(k.few))
	for _, e := range k.few {
		k.many[e.id] = e.kind
	}
	k.many[id] = kind
}
