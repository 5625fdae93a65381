package sqlite

import "github.com/infrahub-go/infrahub/events"

// Commits is notified after each commit is durable, as Subscribe's readers are: for a reader of
// this log that takes events from elsewhere first (projections.Runner.Tail) but must still learn
// of every commit at once.
func (s *Store) Commits() *events.Signal { return &s.signal }
