package sqlite

import "github.com/infrahub-go/infrahub/events"

// Commits is notified after each commit is durable, as Subscribe's readers are: for a reader of
// this log that takes events from elsewhere first (projections.Runner.Tail) but must still learn
// of every commit at once.
func (s *Store) Commits() *events.Signal { return &s.signal }

// DurableHead is the highest position this process has made durable (or found in the log when it
// opened): every commit that Commits told of is at or below it once told. A reader that took the
// events up to it from elsewhere (projections.Runner.Tail) need not read the log to learn that a
// commit brought nothing more.
func (s *Store) DurableHead() events.Position { return events.Position(s.head.Load()) }
