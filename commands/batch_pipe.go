package commands

import (
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/infrahub-go/infrahub/commands/nodetx"
)

// opsPipe decodes the operations of a batch (decodeOp) on the other processors while the
// transaction decides them in order on this one: deciding operation i waits only until the
// turn of decodeTurnOps operations holding i is decoded, and decodes turns itself when no other
// goroutine has taken i's yet. The decisions stay in order and in one transaction; only the
// decoding, which reads the payloads and the transaction's schema, runs beside them.
type opsPipe struct {
	ops   []Operation
	t     *nodetx.Tx
	out   []decodedOp
	done  []chan struct{} // per turn: closed once its operations are decoded
	next  atomic.Int64    // the first operation no goroutine has taken yet
	stop  atomic.Bool
	wg    sync.WaitGroup
	names strCache // the deciding goroutine's (each decoding goroutine has its own)
}

// decodeTurnOps is how many operations a turn of opsPipe holds: few, so that the deciding
// goroutine, which decodes the first turn itself (and any turn no other goroutine has taken
// when it needs it), starts deciding soon.
const decodeTurnOps = 16

// decodeAhead starts decoding ops for t on every other processor.
func decodeAhead(t *nodetx.Tx, ops []Operation) *opsPipe {
	turns := (len(ops) + decodeTurnOps - 1) / decodeTurnOps
	p := &opsPipe{ops: ops, t: t, out: make([]decodedOp, len(ops)), done: make([]chan struct{}, turns), names: strCache{}}
	for i := range p.done {
		p.done[i] = make(chan struct{})
	}
	for range min(runtime.GOMAXPROCS(0)-1, turns) {
		p.wg.Go(func() {
			names := strCache{}
			for p.decodeTurn(names) {
			}
		})
	}
	return p
}

// decodeTurn decodes the next turn no goroutine has taken, with the strings of the calling
// goroutine's names; false when none is left or the pipe is closed.
func (p *opsPipe) decodeTurn(names strCache) bool {
	if p.stop.Load() {
		return false
	}
	from := int(p.next.Add(decodeTurnOps)) - decodeTurnOps
	if from >= len(p.ops) {
		return false
	}
	for i := from; i < min(from+decodeTurnOps, len(p.ops)); i++ {
		p.out[i] = decodeOp(p.ops[i], p.t, names)
	}
	close(p.done[from/decodeTurnOps])
	return true
}

// get answers operation i decoded. Only the deciding goroutine calls it, before close.
func (p *opsPipe) get(i int) decodedOp {
	for int(p.next.Load()) <= i && p.decodeTurn(p.names) {
	}
	<-p.done[i/decodeTurnOps]
	return p.out[i]
}

// close stops the decoding goroutines (once their current turn is done) and waits for them.
func (p *opsPipe) close() {
	p.stop.Store(true)
	p.wg.Wait()
}
