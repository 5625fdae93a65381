package commands

import (
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/infrahub-go/infrahub/commands/nodetx"
)

// opsPipe decodes the operations of a batch (decodeOp) on the other processors while the
// transaction decides them in order on this one: deciding operation i waits only until the
// turn of opsPerTurn operations holding i is decoded, and decodes turns itself when no other
// goroutine has taken i's yet. The decisions stay in order and in one transaction; only the
// decoding, which reads the payloads and the transaction's schema, runs beside them.
type opsPipe struct {
	ops  []Operation
	t    *nodetx.Tx
	out  []decodedOp
	done []chan struct{} // per turn: closed once its operations are decoded
	next atomic.Int64    // the first operation no goroutine has taken yet
	stop atomic.Bool
	wg   sync.WaitGroup
}

// decodeAhead starts decoding ops for t on every other processor.
func decodeAhead(t *nodetx.Tx, ops []Operation) *opsPipe {
	turns := (len(ops) + opsPerTurn - 1) / opsPerTurn
	p := &opsPipe{ops: ops, t: t, out: make([]decodedOp, len(ops)), done: make([]chan struct{}, turns)}
	for i := range p.done {
		p.done[i] = make(chan struct{})
	}
	for range min(runtime.GOMAXPROCS(0)-1, turns) {
		p.wg.Go(func() {
			for p.decodeTurn() {
			}
		})
	}
	return p
}

// decodeTurn decodes the next turn no goroutine has taken; false when none is left or the
// pipe is closed.
func (p *opsPipe) decodeTurn() bool {
	if p.stop.Load() {
		return false
	}
	from := int(p.next.Add(opsPerTurn)) - opsPerTurn
	if from >= len(p.ops) {
		return false
	}
	names := strCache{}
	for i := from; i < min(from+opsPerTurn, len(p.ops)); i++ {
		p.out[i] = decodeOp(p.ops[i], p.t, names)
	}
	close(p.done[from/opsPerTurn])
	return true
}

// get answers operation i decoded. Only the deciding goroutine calls it, before close.
func (p *opsPipe) get(i int) decodedOp {
	for int(p.next.Load()) <= i && p.decodeTurn() {
	}
	<-p.done[i/opsPerTurn]
	return p.out[i]
}

// close stops the decoding goroutines (once their current turn is done) and waits for them.
func (p *opsPipe) close() {
	p.stop.Store(true)
	p.wg.Wait()
}
