package nodetx

import (
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/infrahub-go/infrahub/events"
)

// aheadPart is how many events a transaction encoding ahead hands to one goroutine.
const aheadPart = 128

// ahead encodes the events a transaction decided so far on other goroutines while it decides
// the next ones (Tx.Expect): Decide then encodes only the rest. An event handed over is a
// copy of what was emitted; the one change made to an emitted event (pooler.claimGlobal, a
// resource's claims added to the event that created it) sets stale, and Decide then encodes
// every event again. The values an event holds are not changed once emitted (a created node's
// attributes, shared with its event, are copied before they change: txNode.setAttr).
type ahead struct {
	cat   *events.Catalogue
	meta  events.Metadata
	sent  int // events handed over: [0, sent)
	parts []*encodedPart
	wg    sync.WaitGroup
	stale bool
	// out and payloads are made once for the events expected (Tx.Expect): each part is
	// encoded in its place, so that take hands them over without copying, and build encodes
	// the last events behind them; a part beyond them is made on its own
	out      []events.Envelope
	payloads []any
}

// payloadHint is about the bytes of a node event's payload as the last part encoded ahead found
// them: each transaction encoding ahead is new (a batch), and a part's buffer made too small
// grows, copying what it holds, while its payloads are appended.
var payloadHint atomic.Int64

// encodedPart is the envelopes and payloads of events [from, from+len(out)), written by the
// goroutine that encodes them, read once it is done.
type encodedPart struct {
	out      []events.Envelope
	payloads []any
	err      error
}

// encodeAhead makes o encode the events it emits on other processors, for a Decide with the
// same catalogue and metadata (any other Decide, or DecideSince, encodes everything itself). It
// helps large decisions (a batch) on more than one processor, and does nothing on one.
func (o *overlay) encodeAhead(cat *events.Catalogue, meta events.Metadata, expect int) {
	if runtime.GOMAXPROCS(0) < 2 || cat == nil || len(o.events) > 0 {
		return
	}
	o.ahead = &ahead{cat: cat, meta: meta, out: make([]events.Envelope, expect), payloads: make([]any, expect)}
	if o.perEvent == 0 {
		o.perEvent = int(payloadHint.Load())
	}
}

// handOver starts encoding the events emitted since the last part once they are a part.
func (a *ahead) handOver(evs []pendingEvent) {
	if a.stale || len(evs)-a.sent < aheadPart {
		return
	}
	part := &encodedPart{}
	a.parts = append(a.parts, part)
	from, to := a.sent, len(evs)
	todo := append([]pendingEvent(nil), evs[from:]...)
	a.sent = to
	a.wg.Go(func() {
		if to <= len(a.out) {
			part.out, part.payloads = a.out[from:to:to], a.payloads[from:to:to]
		} else {
			part.out, part.payloads = make([]events.Envelope, len(todo)), make([]any, len(todo))
		}
		part.err = buildRange(a.cat, a.meta, part.out, part.payloads, todo, int(payloadHint.Load()))
		if part.err == nil {
			payloadHint.Store(int64(payloadBytes(part.out)))
		}
	})
}

// changed records that emitted event i was changed in place.
func (a *ahead) changed(i int) {
	if a != nil && i < a.sent {
		a.stale = true
	}
}

// take waits for the parts and answers the envelopes and payloads of events [0, n), n the
// events encoded ahead; n is 0 when nothing encoded ahead can be used for a Decide with cat and
// meta.
func (a *ahead) take(cat *events.Catalogue, meta events.Metadata) (out []events.Envelope, payloads []any, n int) {
	if a == nil {
		return nil, nil, 0
	}
	a.wg.Wait()
	if a.stale || a.cat != cat || a.meta != meta || a.sent == 0 {
		return nil, nil, 0
	}
	for _, p := range a.parts {
		if p.err != nil {
			return nil, nil, 0 // encoded again, to answer the error
		}
	}
	if a.sent <= len(a.out) { // every part in its place: the room behind them is left for the rest
		return a.out[:a.sent], a.payloads[:a.sent], a.sent
	}
	out, payloads = make([]events.Envelope, 0, a.sent), make([]any, 0, a.sent)
	for _, p := range a.parts {
		out, payloads = append(out, p.out...), append(payloads, p.payloads...)
	}
	return out, payloads, a.sent
}

// stop waits for the parts and forgets them: the next Decide encodes everything.
func (a *ahead) stop() {
	if a != nil {
		a.wg.Wait()
		a.stale = true
	}
}
