package sqlite

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/infrahub-go/infrahub/events"
)

// TestGroupDecidesLikeOneByOne queues, behind a held transaction so that they share a group,
// appends that decide against each other: two with one command id, two at one expected version,
// one to a stream another append of the group creates. Whatever the grouping, exactly one of
// each pair writes and the log has no gap.
func TestGroupDecidesLikeOneByOne(t *testing.T) {
	ctx := context.Background()
	s := openAt(t, filepath.Join(t.TempDir(), "events.db"))
	defer s.Close()
	commit, err := s.AppendHeld(ctx, "held", events.NoStream, events.Envelope{Type: "h"})
	if err != nil {
		t.Fatal(err)
	}
	calls := []groupCall{
		{"dup", events.NoStream, "same"}, {"dup", events.AnyVersion, "same"},
		{"race", events.NoStream, ""}, {"race", events.NoStream, ""},
		{"a", events.NoStream, ""}, {"b", events.NoStream, "b-1"},
	}
	res, errs := appendBehindHeld(t, s, commit, calls)
	if errs[0] != nil || errs[1] != nil || res[0].Last() != res[1].Last() || res[0].Duplicate == res[1].Duplicate {
		t.Errorf("same command id: %+v %v, %+v %v; want one write and one duplicate of it", res[0], errs[0], res[1], errs[1])
	}
	var conflict *events.VersionConflictError
	if (errs[2] == nil) == (errs[3] == nil) || !errors.As(errors.Join(errs[2], errs[3]), &conflict) {
		t.Errorf("same expected version: %v, %v; want one success and one version conflict", errs[2], errs[3])
	}
	for i := 4; i < len(calls); i++ {
		if errs[i] != nil || res[i].StreamVersion != 1 {
			t.Errorf("append %d: %+v, %v", i, res[i], errs[i])
		}
	}
	all, err := s.ReadAll(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 5 {
		t.Fatalf("log holds %d events, want 5 (held, dup, race, a, b)", len(all))
	}
	for i, e := range all {
		if e.GlobalPosition != events.Position(i+1) {
			t.Fatalf("position %d at index %d: a gap", e.GlobalPosition, i)
		}
	}
	if rec, found, err := s.Command(ctx, "b-1"); err != nil || !found || rec.Stream != "b" {
		t.Fatalf("command b-1: %+v, %v, %v", rec, found, err)
	}
}

// TestGroupAnswersRetriesOfLoggedCommands queues, in one group, retries of commands already in
// the log (one at a stale expected version, one at any version) beside new appends: the retries
// are answered with the first append's result and write nothing, the others are written.
func TestGroupAnswersRetriesOfLoggedCommands(t *testing.T) {
	ctx := context.Background()
	s := openAt(t, filepath.Join(t.TempDir(), "events.db"))
	defer s.Close()
	first := map[string]events.AppendResult{}
	for _, cmd := range []string{"stale", "any"} {
		res, err := s.Append(ctx, events.StreamID(cmd), events.NoStream, events.Envelope{Type: "t", Metadata: events.Metadata{CommandID: cmd}})
		if err != nil {
			t.Fatal(err)
		}
		first[cmd] = res
	}
	commit, err := s.AppendHeld(ctx, "held", events.NoStream, events.Envelope{Type: "h"})
	if err != nil {
		t.Fatal(err)
	}
	calls := []groupCall{{"new-1", events.NoStream, "new-1"}, {"stale", events.NoStream, "stale"},
		{"any", events.AnyVersion, "any"}, {"new-2", events.NoStream, ""}}
	res, errs := appendBehindHeld(t, s, commit, calls)
	for i, c := range calls {
		switch want, retry := first[c.cmd]; {
		case errs[i] != nil:
			t.Errorf("append %d (%s): %v", i, c.stream, errs[i])
		case retry && (!res[i].Duplicate || res[i].Last() != want.Last() || res[i].StreamVersion != want.StreamVersion):
			t.Errorf("retry of %s: %+v, want the duplicate of %+v", c.cmd, res[i], want)
		case !retry && (res[i].Duplicate || res[i].StreamVersion != 1):
			t.Errorf("append %d (%s): %+v, want a write", i, c.stream, res[i])
		}
	}
	all, err := s.ReadAll(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 5 {
		t.Fatalf("log holds %d events, want 5 (stale, any, held, new-1, new-2)", len(all))
	}
}

func TestLookupStmtIsNarrowestThatHolds(t *testing.T) {
	for left, want := range map[int]int{1: 1, 2: 2, 3: 4, 16: 16, 17: 32, 32: 32, 40: 32} {
		if got := chunkSizes[lookupStmt(left)]; got != want {
			t.Errorf("%d keys left: statement of %d keys, want %d", left, got, want)
		}
	}
}

// TestCloseAnswersQueuedAppends queues appends behind a held transaction, closes the store and
// checks that every append returns: written, or events.ErrClosed when the writer never took it.
func TestCloseAnswersQueuedAppends(t *testing.T) {
	ctx := context.Background()
	s := openAt(t, filepath.Join(t.TempDir(), "events.db"))
	commit, err := s.AppendHeld(ctx, "held", events.NoStream, events.Envelope{Type: "h"})
	if err != nil {
		t.Fatal(err)
	}
	const n = 8
	errs := make(chan error, n)
	for i := range n {
		go func() {
			_, err := s.Append(ctx, events.StreamID(fmt.Sprintf("s%d", i)), events.NoStream, events.Envelope{Type: "t"})
			errs <- err
		}()
		time.Sleep(5 * time.Millisecond) // the first is taken by the writer, the others queue
	}
	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	time.Sleep(20 * time.Millisecond)
	if _, err := commit(); err != nil {
		t.Fatal(err)
	}
	deadline := time.After(10 * time.Second)
	for range n {
		select {
		case err := <-errs:
			if err != nil && !errors.Is(err, events.ErrClosed) {
				t.Errorf("append: %v, want success or ErrClosed", err)
			}
		case <-deadline:
			t.Fatal("an append queued at Close never returned")
		}
	}
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
}

// groupCall is one append of a test that queues appends into one group.
type groupCall struct {
	stream   events.StreamID
	expected int64
	cmd      string
}

// appendBehindHeld makes the appends of calls at once while the transaction commit finishes is
// held, so that they queue into one group, then commits it and answers each append's result.
func appendBehindHeld(t *testing.T, s *Store, commit func() (events.AppendResult, error), calls []groupCall) ([]events.AppendResult, []error) {
	t.Helper()
	res := make([]events.AppendResult, len(calls))
	errs := make([]error, len(calls))
	var wg sync.WaitGroup
	for i, c := range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res[i], errs[i] = s.Append(context.Background(), c.stream, c.expected, events.Envelope{Type: "t",
				Metadata: events.Metadata{CommandID: c.cmd}})
		}()
	}
	time.Sleep(50 * time.Millisecond) // let the appends queue behind the held transaction
	if _, err := commit(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	return res, errs
}

// TestVersionsWrittenElsewhereAreSeen appends to a stream through a second store on the same
// file between two appends of the first: the first store must decide its next append against
// the version the other wrote, not the one its own last commit left.
func TestVersionsWrittenElsewhereAreSeen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "events.db")
	s := openAt(t, path)
	defer s.Close()
	if _, err := s.Append(ctx, "shared", events.NoStream, events.Envelope{Type: "t"}); err != nil {
		t.Fatal(err)
	}
	other := openAt(t, path)
	if _, err := other.Append(ctx, "shared", 1, events.Envelope{Type: "t"}); err != nil {
		t.Fatal(err)
	}
	if err := other.Close(); err != nil {
		t.Fatal(err)
	}
	var conflict *events.VersionConflictError
	if _, err := s.Append(ctx, "shared", 1, events.Envelope{Type: "t"}); !errors.As(err, &conflict) || conflict.Actual != 2 {
		t.Fatalf("append at the version before the other store's: %v; want a conflict at version 2", err)
	}
	res, err := s.Append(ctx, "shared", 2, events.Envelope{Type: "t"})
	if err != nil || res.StreamVersion != 3 || res.Last() != 3 {
		t.Fatalf("append at the other store's version: %+v, %v; want version 3 at position 3", res, err)
	}
}
