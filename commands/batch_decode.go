package commands

import (
	"encoding/json"
	"runtime"
	"sync"
	"sync/atomic"
	"unicode/utf8"

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
	valid := make([]bool, len(raws))
	forEach(len(raws), func(i int) {
		op, ok := decodeOperation(raws[i])
		in.Operations[i], valid[i] = op, ok && validJSON(op.Payload)
	})
	for _, v := range valid {
		if !v {
			return Batch{}, false
		}
	}
	return in, true
}

// decodeOperation reads one operation of a batch (see decodeBatch); its payload is not checked.
func decodeOperation(raw []byte) (op Operation, ok bool) {
	seen := 0
	ok = objectFields(raw, func(key string, val []byte) bool {
		var bit int
		good := true
		switch key {
		case "type":
			bit = 1
			op.Type, good = opType(val)
		case "ref":
			bit = 2
			op.Ref, good = plainJSONString(val)
		case "payload":
			bit = 4
			op.Payload = json.RawMessage(val)
		default:
			return false
		}
		if seen&bit != 0 {
			return false
		}
		seen |= bit
		return good
	})
	return op, ok && seen&4 != 0
}

// arrayElements calls f with each raw element of the JSON list b, in order, until f answers
// false; it answers false when b is not a list or f said so. The elements are not checked.
func arrayElements(b []byte, f func(el []byte) bool) bool {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '[' {
		return false
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == ']' {
		return skipSpace(b, i+1) == len(b)
	}
	for {
		stop := skipValue(b, i)
		if stop < 0 || !f(b[i:stop]) {
			return false
		}
		next, done := afterValue(b, stop, ']')
		if next < 0 || done {
			return done
		}
		i = next
	}
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

// decodedOp is the payload of an operation of a batch decoded: a CreateNode, UpdateNode,
// DeleteNode or RelationshipPeers (nil for an unknown type), or why it does not decode.
type decodedOp struct {
	in  any
	err error
}

// opsPerTurn is how many operations a decoding goroutine takes at a time.
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
				return decodedOp{in: in, err: err}
			}
		}
		t.PrepareCreate(&in)
		return decodedOp{in: in}
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
	ok = objectFields(raw, func(key string, val []byte) bool {
		var (
			bit  int
			good bool
		)
		switch key {
		case "branch":
			bit = 1
			in.Branch, good = plainJSONString(val)
		case "kind":
			bit = 2
			in.Kind, good = names.plain(val)
		case "id":
			bit = 4
			in.ID, good = plainJSONString(val)
		case "data":
			bit = 8
			in.Data = nodetx.Data{}
			good = objectFieldsIn(val, names, func(k string, v []byte) bool {
				if _, dup := in.Data[k]; dup {
					return false
				}
				in.Data[k] = json.RawMessage(v)
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
	return in, ok && seen&8 != 0
}

// objectFields calls f with each key and raw value of the JSON object b, in order, until f
// answers false; it answers false when b is not an object, a key holds an escape, or f said
// so. The values are not checked (b must be valid JSON).
func objectFields(b []byte, f func(key string, val []byte) bool) bool {
	return objectFieldsIn(b, nil, f)
}

// objectFieldsIn is objectFields with the keys other than the batch's and node.create's own
// taken from names (nil: made for each).
func objectFieldsIn(b []byte, names strCache, f func(key string, val []byte) bool) bool {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return false
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return skipSpace(b, i+1) == len(b)
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return false
		}
		end := i + 1
		for end < len(b) && b[end] != '"' {
			if b[end] == '\\' || b[end] < 0x20 {
				return false
			}
			end++
		}
		if end >= len(b) || !utf8.Valid(b[i+1:end]) {
			return false
		}
		key := keyString(b[i+1:end], names)
		i = skipSpace(b, end+1)
		if i >= len(b) || b[i] != ':' {
			return false
		}
		start := skipSpace(b, i+1)
		stop := skipValue(b, start)
		if stop < 0 || !f(key, b[start:stop]) {
			return false
		}
		next, done := afterValue(b, stop, '}')
		if next < 0 || done {
			return done
		}
		i = next
	}
}

// afterValue reads what follows a value of a list or object ending at b[stop]: a comma (next is
// where the following value starts) or the closing bracket, which must end b (done). next is -1
// for anything else, and when the closing bracket does not end b (done is then false).
func afterValue(b []byte, stop int, closing byte) (next int, done bool) {
	i := skipSpace(b, stop)
	switch {
	case i >= len(b):
		return -1, false
	case b[i] == ',':
		return skipSpace(b, i+1), false
	case b[i] == closing && skipSpace(b, i+1) == len(b):
		return len(b), true
	}
	return -1, false
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipValue returns the index after the JSON value starting at b[i], or -1.
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				if i = skipString(b, i); i < 0 {
					return -1
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return -1
	}
	start := i
	for i < len(b) {
		switch b[i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			if i == start {
				return -1
			}
			return i
		}
		i++
	}
	if i == start {
		return -1
	}
	return i
}

// skipString returns the index after the JSON string starting at b[i], or -1.
func skipString(b []byte, i int) int {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return -1
}
