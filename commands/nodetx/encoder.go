package nodetx

import (
	"runtime"
	"slices"

	"github.com/infrahub-go/infrahub/events"
)

// Encoder encodes the events of a turn's commands on another goroutine while the turn's leader
// decides the next command (Encoder.DecideSince): the leader decides a turn's commands one after
// the other while the other callers wait for it, and encoding is about a fifth of what deciding
// a create costs it. The zero Encoder is ready; Wait ends it.
type Encoder struct {
	jobs chan encodeJob
	done chan struct{}
	sent int // jobs handed over
	// written by the encoder's goroutine, read once done is closed
	errs    []error // per job that failed, by its number (nil: every job encoded)
	lastPer int
}

// encodeJob is one command's events to encode into out and payloads.
type encodeJob struct {
	n        int // its number: the DecideSince calls that handed events over before it
	cat      *events.Catalogue
	meta     events.Metadata
	evs      []pendingEvent // a copy: the transaction goes on emitting
	out      []events.Envelope
	payloads []any
}

// encoderQueue is how many commands' events the leader may hand over before the encoder took
// any: more than a turn has, so that handing over does not wait.
const encoderQueue = 16

// DecideSince is t.DecideSince with the events encoded by e on another goroutine: the
// decision's Events and Payloads are filled once e.Wait returns, which also tells an error
// encoding them. The events handed over are copies, encoded as they were when decided, as
// DecideSince encodes them: what an emitted event holds is not changed afterwards (see ahead),
// and the one event replaced later (pooler.claimGlobal) is replaced in the transaction, not in
// the copy. On one processor it is DecideSince.
func (e *Encoder) DecideSince(t *Tx, cat *events.Catalogue, defaultBranch string, meta events.Metadata, mark int) (Decision, error) {
	if runtime.GOMAXPROCS(0) < 2 || cat == nil {
		return t.DecideSince(cat, defaultBranch, meta, mark)
	}
	t.st.ahead.stop() // as DecideSince
	evs := t.st.events[min(mark, len(t.st.events)):]
	all := t.st.events
	t.st.events = evs
	d, err := decideStream(t, defaultBranch)
	t.st.events = all
	if err != nil || len(evs) == 0 {
		return d, err
	}
	if e.jobs == nil {
		e.start(t.st.perEvent)
	}
	j := encodeJob{n: e.sent, cat: cat, meta: meta, evs: slices.Clone(evs),
		out: make([]events.Envelope, len(evs)), payloads: make([]any, len(evs))}
	d.Events, d.Payloads = j.out, j.payloads
	e.sent++
	e.jobs <- j
	return d, nil
}

// start starts the encoder's goroutine, its first buffer made for per bytes a payload.
func (e *Encoder) start(per int) {
	e.jobs, e.done = make(chan encodeJob, encoderQueue), make(chan struct{})
	go func() {
		defer close(e.done)
		for j := range e.jobs {
			if err := buildRange(j.cat, j.meta, j.out, j.payloads, j.evs, per); err != nil {
				e.errs = append(e.errs, make([]error, j.n+1-len(e.errs))...)
				e.errs[j.n] = err
			}
			per = payloadBytes(j.out)
		}
		e.lastPer = per
	}()
}

// Wait waits for the events handed over to be encoded, and ends e. It answers, when some did
// not encode, why, per DecideSince that handed events over (0 the first; nil where they
// encoded); nil when all did. t is the transaction the events came from (nil: none): it keeps
// the size of the payloads for its next build.
func (e *Encoder) Wait(t *Tx) []error {
	if e.jobs == nil {
		return nil
	}
	close(e.jobs)
	<-e.done
	if t != nil {
		t.st.perEvent = e.lastPer
	}
	errs := e.errs
	*e = Encoder{}
	return errs
}
