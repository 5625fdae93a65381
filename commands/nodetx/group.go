package nodetx

import "github.com/infrahub-go/infrahub/events"

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
