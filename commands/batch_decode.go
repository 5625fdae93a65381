package commands

import (
	"encoding/json"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/infrahub-go/infrahub/commands/nodetx"
	"github.com/infrahub-go/infrahub/commands/payload"
)

// decodeBatch reads a batch payload of the plain shape without reflection: an object of branch
// (a string without escapes) and operations, a list of objects of type and ref (the same) and
// payload, each key once and unescaped, and every payload valid JSON. ok is false for anything
// else, which payload.Decode reads (and refuses, naming what is wrong).
func decodeBatch(raw json.RawMessage) (in Batch, ok bool) {
	seen := 0
	var raws [][]byte // the operations, decoded below on every processor at once
	ok = objectFields(raw, func(key string, val []byte) bool {
		var bit int
		good := false
		switch key {
		case "branch":
			bit = 1
			in.Branch, good = plainJSONString(val)
		case "operations":
			bit = 2
			raws = raws[:0]
			good = arrayElements(val, func(el []byte) bool {
				raws = append(raws, el)
				return true
			})
		default:
			return false
		}
		if seen&bit != 0 {
			return false
		}
		seen |= bit
		return good
	})
	if !ok || seen&2 == 0 {
		return Batch{}, false
	}
	in.Operations = make([]Operation, len(raws))
	var bad atomic.Bool
	forEach(len(raws), func(i int) {
		op, ok := decodeOperation(raws[i])
		if !ok {
			bad.Store(true)
		}
		in.Operations[i] = op
	})
	if bad.Load() {
		return Batch{}, false
	}
	return in, true
}

// decodeOperation reads one operation of a batch (see decodeBatch); ok is false too when its
// payload is not valid JSON (checked while it is read: one pass over it).
func decodeOperation(raw []byte) (op Operation, ok bool) {
	seen := 0
	end := objectScan(raw, skipSpace(raw, 0), nil, func(key string, start int) int {
		var bit int
		stop := -1
		good := true
		switch key {
		case "type":
			bit, stop = 1, skipValue(raw, start)
			if stop >= 0 {
				op.Type, good = opType(raw[start:stop])
			}
		case "ref":
			bit, stop = 2, skipValue(raw, start)
			if stop >= 0 {
				op.Ref, good = plainJSONString(raw[start:stop])
			}
		case "payload":
			bit, stop = 4, validValue(raw, start, 0)
			if stop >= 0 {
				op.Payload = json.RawMessage(raw[start:stop])
			}
		}
		if bit == 0 || seen&bit != 0 || !good {
			return -1
		}
		seen |= bit
		return stop
	})
	return op, end >= 0 && skipSpace(raw, end) == len(raw) && seen&4 != 0
}

// forEach calls f(0) … f(n-1) on every processor at once, opsPerTurn indexes at a time.
func forEach(n int, f func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), (n+opsPerTurn-1)/opsPerTurn)
	var (
		wg   sync.WaitGroup
		next atomic.Int64
	)
	for range workers {
		wg.Go(func() {
			for {
				from := int(next.Add(opsPerTurn)) - opsPerTurn
				if from >= n {
					return
				}
				for i := from; i < min(from+opsPerTurn, n); i++ {
					f(i)
				}
			}
		})
	}
	wg.Wait()
}

// decodedOp is the payload of an operation of a batch decoded: a node.create's in create, the
// others' in in (an UpdateNode, DeleteNode or RelationshipPeers; nil for an unknown type), or
// why it does not decode. A create is kept by value: no allocation of its own per operation.
type decodedOp struct {
	create CreateNode
	in     any
	err    error
}

// opsPerTurn is how many operations a goroutine of forEach takes at a time.
const opsPerTurn = 64

// decodeOp decodes the payload of an operation of a batch and its data's values; a create's
// attributes are parsed against the schema of t, the transaction that will decide it
// (nodetx.Tx.PrepareCreate).
func decodeOp(op Operation, t *nodetx.Tx, names strCache) decodedOp {
	switch op.Type {
	case TypeCreateNode:
		in, fast := decodeCreate(op.Payload, names)
		if !fast {
			in = CreateNode{}
			if err := payload.Decode(op.Payload, &in, "payload"); err != nil {
				return decodedOp{create: in, err: err}
			}
		}
		t.PrepareCreate(&in)
		return decodedOp{create: in}
	case TypeUpdateNode, TypeUpsertNode:
		var in UpdateNode
		if err := payload.Decode(op.Payload, &in, "payload"); err != nil {
			return decodedOp{in: in, err: err}
		}
		in.Prepare()
		return decodedOp{in: in}
	case TypeDeleteNode:
		var in DeleteNode
		err := payload.Decode(op.Payload, &in, "payload")
		return decodedOp{in: in, err: err}
	case TypeAddPeers, TypeRemovePeers:
		var in RelationshipPeers
		err := payload.Decode(op.Payload, &in, "payload")
		return decodedOp{in: in, err: err}
	}
	return decodedOp{}
}

// decodeCreate reads the payload of a node.create operation of a batch (valid JSON: the batch
// was decoded whole) without reflection, when it is the plain shape: an object of the fields
// branch, kind and id as strings without escapes and data as an object, each key once and
// unescaped. ok is false for anything else, which payload.Decode reads (and refuses, naming
// what is wrong). The data values stay raw (parts of raw). The kind and the data's keys are
// taken from names when it holds them (and added to it).
func decodeCreate(raw json.RawMessage, names strCache) (in CreateNode, ok bool) {
	seen := 0
	end := objectScan(raw, skipSpace(raw, 0), nil, func(key string, start int) int {
		var (
			bit  int
			stop int
			good = true
		)
		switch key {
		case "branch":
			bit, stop = 1, skipValue(raw, start)
			if stop >= 0 {
				in.Branch, good = plainJSONString(raw[start:stop])
			}
		case "kind":
			bit, stop = 2, skipValue(raw, start)
			if stop >= 0 {
				in.Kind, good = names.plain(raw[start:stop])
			}
		case "id":
			bit, stop = 4, skipValue(raw, start)
			if stop >= 0 {
				in.ID, good = plainJSONString(raw[start:stop])
			}
		case "data":
			bit = 8
			in.Data = make(nodetx.Data, dataHint)
			stop = objectScan(raw, start, names, func(k string, from int) int {
				to := skipValue(raw, from)
				if _, dup := in.Data[k]; dup || to < 0 {
					return -1
				}
				in.Data[k] = json.RawMessage(raw[from:to])
				return to
			})
		default:
			return -1
		}
		if seen&bit != 0 || !good {
			return -1
		}
		seen |= bit
		return stop
	})
	return in, end >= 0 && skipSpace(raw, end) == len(raw) && seen&8 != 0
}

// dataHint is the room a create's data map is made with: a map of up to 8 entries is made
// whole at once instead of growing on its first field.
const dataHint = 8
