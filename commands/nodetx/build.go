package nodetx

import (
	"fmt"
	"runtime"
	"sync"

	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/events"
)

// buildPart is the fewest events a goroutine of build encodes.
const buildPart = 256

// build turns the pending facts into envelopes, and gives each the payload its decoding gives
// (nodes.Exact; nil where only decoding the JSON tells). The node payloads are encoded by
// nodes.AppendPayload (what the catalogue's encoding/json writes, without reflection), a large
// decision's in parts on every processor at once.
func (o *overlay) build(cat *events.Catalogue, meta events.Metadata) ([]events.Envelope, []any, error) {
	done, donePayloads, from := o.ahead.take(cat, meta)
	o.ahead = nil
	if from > len(o.events) { // cannot be: events are only appended while encoding ahead
		done, donePayloads, from = nil, nil, 0
	}
	if n := len(o.events); from > 0 && cap(done) >= n && cap(donePayloads) >= n {
		// the rest (less than a part) encoded behind what was encoded ahead, in its room
		out, payloads := done[:n], donePayloads[:n]
		if err := buildRange(cat, meta, out[from:], payloads[from:], o.events[from:], o.perEvent); err != nil {
			return nil, nil, err
		}
		o.perEvent = payloadBytes(out)
		return out, payloads, nil
	}
	out, payloads, err := buildEvents(cat, meta, o.events[from:], o.perEvent)
	if err == nil {
		o.perEvent = payloadBytes(out)
	}
	if err != nil || from == 0 {
		return out, payloads, err
	}
	return append(done, out...), append(donePayloads, payloads...), nil
}

// maxPerEvent bounds payloadBytes: a few large payloads do not make every later buffer large.
const maxPerEvent = 4096

// payloadBytes is about the bytes an event of out's payload takes, with room to spare: what
// the next build makes room for per event, so that its buffer does not grow (and copy) while a
// payload is appended.
func payloadBytes(out []events.Envelope) int {
	if len(out) == 0 {
		return 0
	}
	n := 0
	for _, e := range out {
		n += len(e.Payload)
	}
	n /= len(out)
	return min(n+n/8, maxPerEvent)
}

// buildEvents is build for the events evs, per about the bytes of one payload (0: unknown).
func buildEvents(cat *events.Catalogue, meta events.Metadata, evs []pendingEvent, per int) ([]events.Envelope, []any, error) {
	n := len(evs)
	out := make([]events.Envelope, n)
	payloads := make([]any, n)
	parts := max(1, min(runtime.GOMAXPROCS(0), n/buildPart))
	if parts == 1 {
		// on this goroutine: starting one and waiting for it costs more than encoding a few
		// events (a command of a turn: each is decided, then encoded, one after the other)
		if err := buildRange(cat, meta, out, payloads, evs, per); err != nil {
			return nil, nil, err
		}
		return out, payloads, nil
	}
	size := (n + parts - 1) / parts
	errs := make([]error, parts)
	var wg sync.WaitGroup
	for p := range parts {
		wg.Go(func() {
			from, to := p*size, min((p+1)*size, n)
			errs[p] = buildRange(cat, meta, out[from:to], payloads[from:to], evs[from:to], per)
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, nil, err
		}
	}
	return out, payloads, nil
}

// buildRange builds the envelopes and payloads of evs into out and payloads, the payloads in
// one buffer made for per bytes a payload (at least 512).
func buildRange(cat *events.Catalogue, meta events.Metadata, out []events.Envelope, payloads []any, evs []pendingEvent, per int) error {
	var buf []byte
	for i, e := range evs {
		info, known := cat.Lookup(e.typ)
		start := len(buf)
		ok := false
		if known && info.SchemaVersion == nodes.PayloadVersion(e.typ, e.payload) {
			if buf == nil {
				buf = make([]byte, 0, max(512, per)*len(evs))
			}
			var err error
			if buf, ok, err = nodes.AppendPayload(buf, e.payload); err != nil {
				return fmt.Errorf("event %q: encode payload: %w", e.typ, err)
			}
		}
		if ok {
			out[i] = events.Envelope{Type: e.typ, SchemaVersion: info.SchemaVersion, Metadata: meta, Payload: buf[start:len(buf):len(buf)], ValidPayload: true}
		} else {
			ev, err := cat.New(e.typ, e.payload, meta)
			if err != nil {
				return err
			}
			out[i] = ev
		}
		if p, ok := nodes.Exact(e.payload); ok {
			payloads[i] = p
		}
	}
	return nil
}
