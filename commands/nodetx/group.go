package nodetx

import (
	"slices"

	"github.com/infrahub-go/infrahub/events"
)

// Mark is how many events the transaction decided so far: the commands of a group decided one
// after the other in one transaction each take the events decided after their mark (DecideSince).
func (t *Tx) Mark() int { return len(t.st.events) }

// DecideSince is Decide for the events decided after mark only, built with meta: the append of
// one command of a group, each seeing the earlier ones' changes and keeping its own command id.
// The stream is chosen as Decide chooses it from everything the transaction changed, so that a
// group mixing branch-agnostic and branch-aware changes on another branch is refused as one
// command mixing them would be.
func (t *Tx) DecideSince(cat *events.Catalogue, defaultBranch string, meta events.Metadata, mark int) (Decision, error) {
	t.st.ahead.stop() // its events are numbered from 0, these from mark
	all := t.st.events
	t.st.events = all[min(mark, len(all)):]
	defer func() { t.st.events = all }()
	return t.Decide(cat, defaultBranch, meta)
}

// Pending is the events one command of a group decided, not encoded yet (DecideSinceLater).
type Pending struct {
	cat  *events.Catalogue
	meta events.Metadata
	evs  []pendingEvent // a copy of the events as emitted: a later change to one is not seen
}

// Len is how many events p holds.
func (p Pending) Len() int { return len(p.evs) }

// Encode answers the events' envelopes and payloads, as DecideSince encodes them. It may run on
// any goroutine, also while the transaction decides on: the values an emitted event holds are
// not changed (see ahead), and the one change made to an emitted event replaces it in the
// transaction's list, not in p's copy.
func (p Pending) Encode() ([]events.Envelope, []any, error) {
	if len(p.evs) == 0 {
		return nil, nil, nil
	}
	return buildEvents(p.cat, p.meta, p.evs)
}

// DecideSinceLater is DecideSince with the events left to encode: d has the stream and version
// (no Events), p the events decided after mark, for Encode. A turn decides its commands one
// after the other, then encodes their events at once on every processor.
func (t *Tx) DecideSinceLater(cat *events.Catalogue, defaultBranch string, meta events.Metadata, mark int) (d Decision, p Pending, err error) {
	t.st.ahead.stop() // as DecideSince
	if d, err = t.target(defaultBranch); err != nil {
		return Decision{}, Pending{}, err
	}
	if evs := t.st.events[min(mark, len(t.st.events)):]; len(evs) > 0 {
		p = Pending{cat: cat, meta: meta, evs: slices.Clone(evs)}
	}
	return d, p, nil
}
