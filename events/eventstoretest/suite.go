// Package eventstoretest is the contract suite of the event log port. Every adapter runs it
// unchanged, so that the adapters cannot drift apart.
package eventstoretest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/infrahub-go/infrahub/events"
)

// Subject is what an adapter provides to the suite.
type Subject interface {
	events.Store
	events.Checkpoints
}

// HeldAppender is implemented by adapters that can open an append and keep its transaction open
// until commit is called. The suite uses it to prove that a reader never skips a slow, lower
// position.
type HeldAppender interface {
	AppendHeld(ctx context.Context, stream events.StreamID, expectedVersion int64, evs ...events.Envelope) (commit func() (events.AppendResult, error), err error)
}

// Factory returns a new, empty store; the suite closes it.
type Factory func(t *testing.T) Subject

// Run runs every contract test against stores made by newStore.
func Run(t *testing.T, newStore Factory) {
	tests := []struct {
		name string
		fn   func(*testing.T, Subject)
	}{
		{"AppendAndReadStream", testAppendAndReadStream},
		{"AppendResultTellsStoredEvents", testAppendResultStored},
		{"ExpectedVersion", testExpectedVersion},
		{"ConcurrentAppendersOneWinnerPerVersion", testConcurrentAppenders},
		{"IdempotentByCommandID", testIdempotent},
		{"IdempotentConcurrent", testIdempotentConcurrent},
		{"CommandRecordKeepsHashAndAnswer", testCommandRecord},
		{"LargePayloadAndBatch", testLarge},
		{"GlobalOrder", testGlobalOrder},
		{"InvalidEvents", testInvalid},
		{"DuplicateEventIDFailsAlone", testDuplicateEventID},
		{"ContextCancellation", testCancel},
		{"Subscribe", testSubscribe},
		{"TailNeverSkipsUnderConcurrentAppends", testTailNeverSkips},
		{"Checkpoints", testCheckpoints},
		{"SlowTransactionNotSkipped", testSlowTransaction},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			t.Cleanup(func() { _ = s.Close() })
			tc.fn(t, s)
		})
	}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// together runs f(0..n-1) in n goroutines released at the same moment and returns their errors.
func together(n int, f func(i int) error) []error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-start
			errs[i] = f(i)
		}(i)
	}
	close(start)
	wg.Wait()
	return errs
}

func ev(typ string, payload string) events.Envelope {
	return events.Envelope{Type: typ, SchemaVersion: 1, Payload: json.RawMessage(payload)}
}

func mustAppend(t *testing.T, s events.Store, stream events.StreamID, expected int64, evs ...events.Envelope) events.AppendResult {
	t.Helper()
	res, err := s.Append(ctxT(t), stream, expected, evs...)
	if err != nil {
		t.Fatalf("append to %s at %d: %v", stream, expected, err)
	}
	noteAppended(s, res)
	return res
}

// noteAppended records that s holds res's events, so that readAll waits until it reads them (a
// PostgreSQL log shows an event once no older transaction is open).
func noteAppended(s events.Store, res events.AppendResult) {
	if last := res.Last(); last > 0 {
		for {
			prev, _ := appended.LoadOrStore(s, last)
			if prev.(events.Position) >= last || appended.CompareAndSwap(s, prev, last) {
				break
			}
		}
	}
}

// appended is, per store, the highest position mustAppend (or noteAppended) wrote: readAll
// waits until it sees it.
var appended sync.Map

// readAll reads the log after a position. Readers only return commits older than every
// transaction still running on the server (they never skip a late commit), so a reader may lag
// while another client of the same PostgreSQL holds a transaction open: readAll waits (at most
// 30 s) until it has seen the last position mustAppend wrote.
func readAll(t *testing.T, s events.Store, after events.Position) []events.Envelope {
	t.Helper()
	var want events.Position
	if v, ok := appended.Load(s); ok {
		want = v.(events.Position)
	}
	var out []events.Envelope
	deadline := time.Now().Add(30 * time.Second)
	for {
		batch, err := s.ReadAll(ctxT(t), after, 500)
		if err != nil {
			t.Fatalf("read all after %d: %v", after, err)
		}
		if len(batch) == 0 {
			if after >= want || time.Now().After(deadline) {
				return out
			}
			time.Sleep(5 * time.Millisecond)
			continue
		}
		out = append(out, batch...)
		after = batch[len(batch)-1].GlobalPosition
	}
}

func jsonEqual(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return bytes.Equal(xa, ya)
}

func testAppendAndReadStream(t *testing.T, s Subject) {
	occurred := time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.FixedZone("x", 3600))
	in := []events.Envelope{ev("thing.created", `{"name":"a","n":1}`), ev("thing.renamed", `{"name":"b"}`), ev("thing.deleted", `{}`)}
	in[0].OccurredAt = occurred
	in[1].SchemaVersion = 3
	md := events.Metadata{CorrelationID: "corr", CausationID: "cause", Actor: "alice", TraceParent: "00-abc-def-01"}
	for i := range in {
		in[i].Metadata = md
	}
	before := time.Now().Add(-time.Second)
	res := mustAppend(t, s, "branch/main", events.NoStream, in...)
	if len(res.Positions) != 3 || res.StreamVersion != 3 || res.Duplicate {
		t.Fatalf("result = %+v, want 3 positions, version 3", res)
	}
	for i := 1; i < 3; i++ {
		if res.Positions[i] <= res.Positions[i-1] {
			t.Fatalf("positions not increasing: %v", res.Positions)
		}
	}
	got, err := s.ReadStream(ctxT(t), "branch/main", 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("read %d events, want 3", len(got))
	}
	for i, e := range got {
		if e.Stream != "branch/main" || e.StreamVersion != int64(i+1) || e.GlobalPosition != res.Positions[i] {
			t.Errorf("event %d: stream %q v%d pos %d", i, e.Stream, e.StreamVersion, e.GlobalPosition)
		}
		if e.Type != in[i].Type || e.SchemaVersion != max(in[i].SchemaVersion, 1) {
			t.Errorf("event %d: type %q v%d", i, e.Type, e.SchemaVersion)
		}
		if !jsonEqual(e.Payload, in[i].Payload) {
			t.Errorf("event %d: payload %s, want %s", i, e.Payload, in[i].Payload)
		}
		if e.Metadata != md {
			t.Errorf("event %d: metadata %+v, want %+v", i, e.Metadata, md)
		}
		if e.EventID.Version() != 7 {
			t.Errorf("event %d: id %s is not a UUIDv7", i, e.EventID)
		}
		if e.RecordedAt.Before(before) || e.RecordedAt.After(time.Now().Add(time.Second)) {
			t.Errorf("event %d: recorded_at %v out of range", i, e.RecordedAt)
		}
	}
	if want := occurred.Truncate(time.Microsecond); !got[0].OccurredAt.Equal(want) {
		t.Errorf("occurred_at = %v, want %v", got[0].OccurredAt, want)
	}
	// Paging by version.
	tail, err := s.ReadStream(ctxT(t), "branch/main", 1, 1)
	if err != nil || len(tail) != 1 || tail[0].StreamVersion != 2 {
		t.Fatalf("ReadStream after 1 limit 1 = %v, %v", tail, err)
	}
	empty, err := s.ReadStream(ctxT(t), "no/such", 0, 10)
	if err != nil || len(empty) != 0 {
		t.Fatalf("unknown stream: %v, %v", empty, err)
	}
	head, err := s.Head(ctxT(t))
	if err != nil || head != res.Last() {
		t.Fatalf("head = %d, %v; want %d", head, err, res.Last())
	}
}

func testExpectedVersion(t *testing.T, s Subject) {
	mustAppend(t, s, "s", events.NoStream, ev("a", `{}`), ev("a", `{}`))
	for _, expected := range []int64{0, 1, 3, 10} {
		_, err := s.Append(ctxT(t), "s", expected, ev("b", `{}`))
		if !errors.Is(err, events.ErrVersionConflict) {
			t.Fatalf("expected %d on a stream at 2: err = %v, want ErrVersionConflict", expected, err)
		}
		var vc *events.VersionConflictError
		if !errors.As(err, &vc) || vc.Stream != "s" || vc.Expected != expected || vc.Actual != 2 {
			t.Fatalf("expected %d: conflict detail = %+v", expected, vc)
		}
	}
	if _, err := s.Append(ctxT(t), "fresh", 1, ev("b", `{}`)); !errors.Is(err, events.ErrVersionConflict) {
		t.Fatalf("expected 1 on an empty stream: err = %v", err)
	}
	res := mustAppend(t, s, "s", 2, ev("c", `{}`))
	if res.StreamVersion != 3 {
		t.Fatalf("version = %d, want 3", res.StreamVersion)
	}
	res = mustAppend(t, s, "s", events.AnyVersion, ev("d", `{}`), ev("d", `{}`))
	if res.StreamVersion != 5 {
		t.Fatalf("version after any-version append = %d, want 5", res.StreamVersion)
	}
	res = mustAppend(t, s, "other", events.AnyVersion, ev("d", `{}`))
	if res.StreamVersion != 1 {
		t.Fatalf("any-version append to a new stream: version %d", res.StreamVersion)
	}
	got, _ := s.ReadStream(ctxT(t), "s", 0, 100)
	if len(got) != 5 {
		t.Fatalf("stream holds %d events, want 5 (a conflict wrote something)", len(got))
	}
}

func testConcurrentAppenders(t *testing.T, s Subject) {
	const writers, rounds = 8, 10
	for round := int64(0); round < rounds; round++ {
		errs := together(writers, func(w int) error {
			_, err := s.Append(context.Background(), "contended", round, ev("w", fmt.Sprintf(`{"writer":%d}`, w)))
			return err
		})
		wins, conflicts := 0, 0
		for w, err := range errs {
			switch {
			case err == nil:
				wins++
			case errors.Is(err, events.ErrVersionConflict):
				conflicts++
			default:
				t.Errorf("writer %d: unexpected error %v", w, err)
			}
		}
		if wins != 1 || conflicts != writers-1 {
			t.Fatalf("round %d: %d winners and %d conflicts, want 1 and %d", round, wins, conflicts, writers-1)
		}
	}
	got, _ := s.ReadStream(ctxT(t), "contended", 0, 1000)
	if len(got) != rounds {
		t.Fatalf("stream holds %d events, want %d", len(got), rounds)
	}
	for i, e := range got {
		if e.StreamVersion != int64(i+1) {
			t.Fatalf("event %d has version %d", i, e.StreamVersion)
		}
	}
}

func withCommand(id string, evs ...events.Envelope) []events.Envelope {
	for i := range evs {
		evs[i].Metadata.CommandID = id
	}
	return evs
}

func testIdempotent(t *testing.T, s Subject) {
	first := mustAppend(t, s, "s", events.NoStream, withCommand("cmd-1", ev("a", `{"x":1}`), ev("a", `{"x":2}`))...)
	// Same command again, even with the same (now stale) expected version: no write, same answer.
	again := mustAppend(t, s, "s", events.NoStream, withCommand("cmd-1", ev("a", `{"x":1}`), ev("a", `{"x":2}`))...)
	if !again.Duplicate || fmt.Sprint(again.Positions) != fmt.Sprint(first.Positions) || again.StreamVersion != first.StreamVersion {
		t.Fatalf("re-append = %+v, want duplicate of %+v", again, first)
	}
	other := mustAppend(t, s, "s", 2, withCommand("cmd-2", ev("a", `{}`))...)
	if other.Duplicate {
		t.Fatal("a new command id was treated as a duplicate")
	}
	if all := readAll(t, s, 0); len(all) != 3 {
		t.Fatalf("log holds %d events, want 3", len(all))
	}
}

// AppendCommand keeps the hash and the answer with the command id, in the same append; Command
// answers them with where the append landed, for retries. A retry with another hash is still a
// duplicate to the log (the caller compares), and writes nothing.
func testCommandRecord(t *testing.T, s Subject) {
	ctx := ctxT(t)
	if _, found, err := s.Command(ctx, "cmd-1"); err != nil || found {
		t.Fatalf("unknown command: found %v, %v", found, err)
	}
	mustAppend(t, s, "s", events.NoStream, ev("a", `{}`))
	answer := json.RawMessage(`{"id":"n-1","outcome":"created"}`)
	first, err := s.AppendCommand(ctx, "s", 1, events.CommandInfo{ID: "cmd-1", Hash: "h1", Answer: answer},
		ev("a", `{"x":1}`), ev("a", `{"x":2}`))
	if err != nil || first.Duplicate {
		t.Fatalf("first append: %+v, %v", first, err)
	}
	noteAppended(s, first)
	rec, found, err := s.Command(ctx, "cmd-1")
	if err != nil || !found {
		t.Fatalf("command: found %v, %v", found, err)
	}
	if rec.ID != "cmd-1" || rec.Stream != "s" || fmt.Sprint(rec.Positions) != fmt.Sprint(first.Positions) ||
		rec.StreamVersion != 3 || rec.Hash != "h1" || !bytes.Equal(rec.Answer, answer) {
		t.Fatalf("record %+v (answer %s), want the first append's %+v with hash h1 and answer %s", rec, rec.Answer, first, answer)
	}
	for _, e := range readAll(t, s, 0)[1:] {
		if e.Metadata.CommandID != "cmd-1" {
			t.Fatalf("event %d has command id %q, want cmd-1", e.GlobalPosition, e.Metadata.CommandID)
		}
	}
	again, err := s.AppendCommand(ctx, "s", 1, events.CommandInfo{ID: "cmd-1", Hash: "h2", Answer: json.RawMessage(`{}`)}, ev("a", `{"x":3}`))
	if err != nil || !again.Duplicate || fmt.Sprint(again.Positions) != fmt.Sprint(first.Positions) {
		t.Fatalf("retry: %+v, %v; want a duplicate of %+v", again, err, first)
	}
	if rec2, _, _ := s.Command(ctx, "cmd-1"); rec2.Hash != "h1" || !bytes.Equal(rec2.Answer, answer) {
		t.Fatalf("after the retry the record is %+v, want it unchanged", rec2)
	}
	// Without hash and answer (a plain Append), the record has none.
	mustAppend(t, s, "t", events.NoStream, withCommand("cmd-2", ev("a", `{}`))...)
	if rec, found, err := s.Command(ctx, "cmd-2"); err != nil || !found || rec.Hash != "" || rec.Answer != nil || len(rec.Positions) != 1 {
		t.Fatalf("plain append's record: %+v, %v, %v", rec, found, err)
	}
	// An event naming another command id than the append's is refused.
	if _, err := s.AppendCommand(ctx, "u", events.NoStream, events.CommandInfo{ID: "cmd-3"}, withCommand("other", ev("a", `{}`))...); !errors.Is(err, events.ErrInvalidEvent) {
		t.Fatalf("mixed command ids: %v, want ErrInvalidEvent", err)
	}
	if all := readAll(t, s, 0); len(all) != 4 {
		t.Fatalf("log holds %d events, want 4", len(all))
	}
}

func testIdempotentConcurrent(t *testing.T, s Subject) {
	const n = 8
	results := make([]events.AppendResult, n)
	errs := together(n, func(i int) (err error) {
		results[i], err = s.Append(context.Background(), events.StreamID(fmt.Sprintf("s%d", i%2)), events.AnyVersion,
			withCommand("same-command", ev("a", `{}`))...)
		return err
	})
	originals := 0
	for i := 0; i < n; i++ {
		if errs[i] != nil {
			t.Fatalf("append %d: %v", i, errs[i])
		}
		if !results[i].Duplicate {
			originals++
		}
		if results[i].Last() != results[0].Last() {
			t.Fatalf("append %d answered position %d, append 0 answered %d", i, results[i].Last(), results[0].Last())
		}
	}
	if originals != 1 {
		t.Fatalf("%d appends wrote, want exactly 1", originals)
	}
	if all := readAll(t, s, 0); len(all) != 1 {
		t.Fatalf("log holds %d events, want 1", len(all))
	}
}

func testLarge(t *testing.T, s Subject) {
	big := `{"blob":"` + strings.Repeat("x", 4<<20) + `"}`
	res := mustAppend(t, s, "big", events.NoStream, ev("big", big))
	got, err := s.ReadStream(ctxT(t), "big", 0, 1)
	if err != nil || len(got) != 1 || len(got[0].Payload) < 4<<20 || !jsonEqual(got[0].Payload, []byte(big)) {
		t.Fatalf("4 MiB payload did not round-trip: %d events, err %v", len(got), err)
	}
	batch := make([]events.Envelope, 2000)
	for i := range batch {
		batch[i] = ev("item", fmt.Sprintf(`{"i":%d}`, i))
	}
	res2 := mustAppend(t, s, "batch", events.NoStream, batch...)
	if len(res2.Positions) != 2000 || res2.Positions[0] <= res.Last() || res2.StreamVersion != 2000 {
		t.Fatalf("batch result: %d positions, version %d", len(res2.Positions), res2.StreamVersion)
	}
	all := readAll(t, s, res.Last())
	if len(all) != 2000 {
		t.Fatalf("read %d, want 2000", len(all))
	}
	for i, e := range all {
		if !jsonEqual(e.Payload, batch[i].Payload) {
			t.Fatalf("event %d payload %s", i, e.Payload)
		}
	}
	if _, err := s.Append(ctxT(t), "toolarge", events.NoStream, make([]events.Envelope, events.MaxBatch+1)...); !errors.Is(err, events.ErrInvalidEvent) {
		t.Fatalf("over-sized batch: err = %v, want ErrInvalidEvent", err)
	}
}

func testGlobalOrder(t *testing.T, s Subject) {
	const writers, each = 6, 40
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			stream := events.StreamID(fmt.Sprintf("order/%d", w))
			for i := 0; i < each; i++ {
				if _, err := s.Append(context.Background(), stream, int64(i), ev("o", fmt.Sprintf(`{"i":%d}`, i))); err != nil {
					t.Errorf("writer %d: %v", w, err)
					return
				}
			}
		}(w)
	}
	wg.Wait()
	all := readAll(t, s, 0)
	if len(all) != writers*each {
		t.Fatalf("read %d events, want %d", len(all), writers*each)
	}
	last := map[events.StreamID]int64{}
	for i, e := range all {
		if i > 0 && e.GlobalPosition <= all[i-1].GlobalPosition {
			t.Fatalf("position %d follows %d", e.GlobalPosition, all[i-1].GlobalPosition)
		}
		if e.StreamVersion != last[e.Stream]+1 {
			t.Fatalf("%s: version %d follows %d in global order", e.Stream, e.StreamVersion, last[e.Stream])
		}
		last[e.Stream] = e.StreamVersion
	}
	// Small pages give the same sequence.
	var paged []events.Envelope
	var after events.Position
	for {
		page, err := s.ReadAll(ctxT(t), after, 7)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		if len(page) > 7 {
			t.Fatalf("page of %d with limit 7", len(page))
		}
		paged = append(paged, page...)
		after = page[len(page)-1].GlobalPosition
	}
	if len(paged) != len(all) {
		t.Fatalf("paged read %d, want %d", len(paged), len(all))
	}
	for i := range paged {
		if paged[i].EventID != all[i].EventID {
			t.Fatalf("paged read differs at %d", i)
		}
	}
}

func testInvalid(t *testing.T, s Subject) {
	cases := map[string]struct {
		stream events.StreamID
		evs    []events.Envelope
	}{
		"empty type":      {"s", []events.Envelope{{Payload: json.RawMessage(`{}`)}}},
		"invalid payload": {"s", []events.Envelope{ev("a", `{not json`)}},
		"no events":       {"s", nil},
		"empty stream":    {"", []events.Envelope{ev("a", `{}`)}},
		"mixed commands":  {"s", []events.Envelope{withCommand("x", ev("a", `{}`))[0], ev("a", `{}`)}},
	}
	for name, c := range cases {
		if _, err := s.Append(ctxT(t), c.stream, events.AnyVersion, c.evs...); !errors.Is(err, events.ErrInvalidEvent) {
			t.Errorf("%s: err = %v, want ErrInvalidEvent", name, err)
		}
	}
	if all := readAll(t, s, 0); len(all) != 0 {
		t.Fatalf("invalid appends wrote %d events", len(all))
	}
}

func testCancel(t *testing.T, s Subject) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Append(ctx, "s", events.AnyVersion, ev("a", `{}`)); !errors.Is(err, context.Canceled) {
		t.Fatalf("append with a cancelled context: err = %v", err)
	}
	if _, err := s.ReadAll(ctx, 0, 10); !errors.Is(err, context.Canceled) {
		t.Fatalf("read with a cancelled context: err = %v", err)
	}
	if all := readAll(t, s, 0); len(all) != 0 {
		t.Fatalf("a cancelled append wrote %d events", len(all))
	}
	sctx, scancel := context.WithCancel(context.Background())
	ch, _ := s.Subscribe(sctx, 0)
	scancel()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case _, ok := <-ch:
			if !ok {
				return
			}
		case <-deadline:
			t.Fatal("subscription did not end after its context was cancelled")
		}
	}
}

func testSubscribe(t *testing.T, s Subject) {
	for i := 0; i < 5; i++ {
		mustAppend(t, s, "sub", int64(i), ev("a", fmt.Sprintf(`{"i":%d}`, i)))
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	first := readAll(t, s, 0)
	ch, errc := s.Subscribe(ctx, first[1].GlobalPosition) // skip the first two
	var got []events.Envelope
	receive := func(n int) {
		t.Helper()
		deadline := time.After(15 * time.Second)
		for len(got) < n {
			select {
			case batch, ok := <-ch:
				if !ok {
					t.Fatalf("subscription closed: %v", <-errc)
				}
				got = append(got, batch...)
			case <-deadline:
				t.Fatalf("received %d events, want %d", len(got), n)
			}
		}
	}
	receive(3)
	for i := 5; i < 10; i++ {
		mustAppend(t, s, "sub", int64(i), ev("a", fmt.Sprintf(`{"i":%d}`, i)))
	}
	receive(8)
	if len(got) != 8 {
		t.Fatalf("received %d events, want 8", len(got))
	}
	for i, e := range got {
		var p struct{ I int }
		_ = json.Unmarshal(e.Payload, &p)
		if p.I != i+2 {
			t.Fatalf("event %d carries i=%d, want %d", i, p.I, i+2)
		}
	}
}

func testCheckpoints(t *testing.T, s Subject) {
	pos, ver, err := s.LoadCheckpoint(ctxT(t), "proj")
	if err != nil || pos != 0 || ver != 0 {
		t.Fatalf("unknown checkpoint = %d v%d, %v; want 0 v0", pos, ver, err)
	}
	if err := s.SaveCheckpoint(ctxT(t), "proj", 42, 3); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveCheckpoint(ctxT(t), "proj", 43, 3); err != nil {
		t.Fatal(err)
	}
	pos, ver, err = s.LoadCheckpoint(ctxT(t), "proj")
	if err != nil || pos != 43 || ver != 3 {
		t.Fatalf("checkpoint = %d v%d, %v; want 43 v3", pos, ver, err)
	}
}

func testSlowTransaction(t *testing.T, s Subject) {
	held, ok := s.(HeldAppender)
	if !ok {
		t.Skip("adapter cannot hold an append open")
	}
	ctx := ctxT(t)
	commit, err := held.AppendHeld(ctx, "slow", events.NoStream, ev("slow", `{}`))
	if err != nil {
		t.Fatal(err)
	}
	committed := false
	defer func() {
		if !committed { // a failed assertion must not leave the transaction (and the store) hanging
			_, _ = commit()
		}
	}()
	fastDone := make(chan events.AppendResult, 1)
	go func() {
		res, err := s.Append(ctx, "fast", events.NoStream, ev("fast", `{}`))
		if err != nil {
			t.Errorf("fast append: %v", err)
		}
		fastDone <- res
	}()
	// Give the fast append time to commit where the adapter lets it (PostgreSQL does).
	var fast events.AppendResult
	select {
	case fast = <-fastDone:
	case <-time.After(500 * time.Millisecond):
	}
	if seen := readAll(t, s, 0); len(seen) != 0 {
		t.Fatalf("while a lower position is uncommitted, a reader saw %d events (first at %d)", len(seen), seen[0].GlobalPosition)
	}
	slow, err := commit()
	committed = true
	if err != nil {
		t.Fatal(err)
	}
	if fast.Positions == nil {
		fast = <-fastDone
	}
	if slow.Last() >= fast.Last() {
		t.Fatalf("slow append got position %d, fast %d: the test needs the slow one lower", slow.Last(), fast.Last())
	}
	seen := readAll(t, s, 0)
	if len(seen) != 2 || seen[0].Stream != "slow" || seen[1].Stream != "fast" {
		t.Fatalf("after commit the reader saw %d events", len(seen))
	}
}

// An append that cannot be stored (here: an event id that exists) fails alone, even when the
// adapter groups it with concurrent appends.
func testDuplicateEventID(t *testing.T, s Subject) {
	first := mustAppend(t, s, "first", events.NoStream, ev("a", `{}`))
	stored, _ := s.ReadStream(ctxT(t), "first", 0, 1)
	const n = 8
	errs := together(n, func(i int) error {
		e := ev("b", fmt.Sprintf(`{"i":%d}`, i))
		if i == 3 {
			e.EventID = stored[0].EventID
		}
		_, err := s.Append(context.Background(), events.StreamID(fmt.Sprintf("dup/%d", i)), events.NoStream, e)
		return err
	})
	for i, err := range errs {
		if i == 3 && !errors.Is(err, events.ErrInvalidEvent) {
			t.Errorf("append reusing event id %s: err = %v, want ErrInvalidEvent", stored[0].EventID, err)
		}
		if i != 3 && err != nil {
			t.Errorf("append %d failed with its neighbour: %v", i, err)
		}
	}
	if all := readAll(t, s, 0); len(all) != n || all[0].GlobalPosition != first.Last() {
		t.Fatalf("log holds %d events, want %d", len(all), n)
	}
}

// A subscriber following the log while many appends commit concurrently receives every event
// exactly once, in position order: the log's central promise to the forwarder and projections.
func testTailNeverSkips(t *testing.T, s Subject) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch, errc := s.Subscribe(ctx, 0)
	const writers, each = 8, 60
	var wg sync.WaitGroup
	var mu sync.Mutex
	var last events.Position
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			version := int64(0)
			for i := 0; i < each; i++ {
				evs := make([]events.Envelope, 1+(i+w)%3)
				for k := range evs {
					evs[k] = ev("tail", fmt.Sprintf(`{"w":%d,"i":%d,"k":%d}`, w, i, k))
				}
				res, err := s.Append(context.Background(), events.StreamID(fmt.Sprintf("tail/%d", w)), version, evs...)
				if err != nil {
					t.Errorf("writer %d: %v", w, err)
					return
				}
				version = res.StreamVersion
				mu.Lock()
				last = max(last, res.Last())
				mu.Unlock()
			}
		}(w)
	}
	var got []events.Envelope
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	deadline := time.After(60 * time.Second)
	writing := true
	for writing || len(got) == 0 || got[len(got)-1].GlobalPosition < last {
		select {
		case batch, ok := <-ch:
			if !ok {
				t.Fatalf("subscription ended: %v", <-errc)
			}
			got = append(got, batch...)
		case <-done:
			writing, done = false, nil
		case <-deadline:
			t.Fatalf("subscriber reached %d events; writers acknowledged up to position %d", len(got), last)
		}
	}
	all := readAll(t, s, 0)
	if len(got) != len(all) {
		t.Fatalf("subscriber received %d events, the log holds %d", len(got), len(all))
	}
	for i := range all {
		if got[i].EventID != all[i].EventID || got[i].GlobalPosition != all[i].GlobalPosition {
			t.Fatalf("event %d: subscriber got position %d, the log has %d", i, got[i].GlobalPosition, all[i].GlobalPosition)
		}
	}
}

// testAppendResultStored checks that an append's result tells the events as stored: the
// recorded time ReadAll returns, and with Stamp, everything ReadAll returns (events.Stored).
func testAppendResultStored(t *testing.T, s Subject) {
	mustAppend(t, s, "other", events.NoStream, ev("thing.created", `{}`))
	in := []events.Envelope{ev("thing.created", `{"name":"a","n":1}`), ev("thing.renamed", `{"name":"b"}`)}
	in[0].Metadata.Actor = "alice"
	if err := events.Stamp(in, "cmd-stored", time.Now()); err != nil {
		t.Fatal(err)
	}
	res, err := s.AppendCommand(ctxT(t), "branch/main", events.NoStream, events.CommandInfo{ID: "cmd-stored"}, in...)
	if err != nil {
		t.Fatal(err)
	}
	noteAppended(s, res)
	if res.RecordedAt.IsZero() {
		t.Fatalf("result %+v has no recorded time", res)
	}
	want := events.Stored(in, "branch/main", res)
	if want == nil {
		t.Fatalf("Stored answered nothing for %+v", res)
	}
	var got []events.Envelope
	for _, e := range readAll(t, s, 0) {
		if e.Stream == "branch/main" {
			got = append(got, e)
		}
	}
	if len(got) != len(want) {
		t.Fatalf("read %d events, want %d", len(got), len(want))
	}
	for i := range got {
		g, w := got[i], want[i]
		if !g.RecordedAt.Equal(res.RecordedAt) || !g.OccurredAt.Equal(w.OccurredAt) {
			t.Errorf("event %d: recorded %v occurred %v, want %v and %v", i, g.RecordedAt, g.OccurredAt, res.RecordedAt, w.OccurredAt)
		}
		g.RecordedAt, g.OccurredAt, w.RecordedAt, w.OccurredAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
		if !reflect.DeepEqual(g, w) {
			t.Errorf("event %d read back as %+v, Stored says %+v", i, g, w)
		}
	}
	dup, err := s.AppendCommand(ctxT(t), "branch/main", events.NoStream, events.CommandInfo{ID: "cmd-stored"}, in...)
	if err != nil || !dup.Duplicate || events.Stored(in, "branch/main", dup) != nil {
		t.Fatalf("duplicate append: %+v, %v (Stored must answer nothing for it)", dup, err)
	}
}
