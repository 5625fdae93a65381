package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/events/eventstoretest"
)

var (
	_ eventstoretest.Subject      = (*Store)(nil)
	_ eventstoretest.HeldAppender = (*Store)(nil)
)

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func openAt(t testing.TB, path string) *Store {
	t.Helper()
	s, err := Open(context.Background(), Config{Path: path}, quietLogger())
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	return s
}

func TestContract(t *testing.T) {
	eventstoretest.Run(t, func(t *testing.T) eventstoretest.Subject {
		return openAt(t, filepath.Join(t.TempDir(), "data", "events.db"))
	})
}

func TestContractWithBatchWindow(t *testing.T) {
	eventstoretest.Run(t, func(t *testing.T) eventstoretest.Subject {
		cfg := Config{Path: filepath.Join(t.TempDir(), "events.db"), BatchWindow: 2 * time.Millisecond}
		s, err := Open(context.Background(), cfg, quietLogger())
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestParseURL(t *testing.T) {
	tests := []struct {
		raw     string
		want    Config
		wantErr string
	}{
		{raw: "sqlite://./data/events.db", want: Config{Path: "./data/events.db"}},
		{raw: "sqlite:///abs/path.db", want: Config{Path: "/abs/path.db"}},
		{raw: "sqlite:relative.db", want: Config{Path: "relative.db"}},
		{raw: "sqlite:./data/my%20events.db", want: Config{Path: "./data/my events.db"}},
		{raw: "sqlite://data/events.db", want: Config{Path: "data/events.db"}},
		{raw: "sqlite:///abs/path.db?batch_window=2ms", want: Config{Path: "/abs/path.db", BatchWindow: 2 * time.Millisecond}},
		{raw: "postgres://localhost/db", wantErr: `scheme is "postgres"`},
		{raw: "sqlite://", wantErr: "no database file"},
		{raw: "sqlite:///", wantErr: "no database file"},
		{raw: "sqlite:///data/", wantErr: "no database file"},
		{raw: "sqlite:///a.db?cache=shared", wantErr: `unknown parameter "cache"`},
		{raw: "sqlite:///a.db?batch_window=soon", wantErr: "batch_window"},
		{raw: "sqlite:///a.db?batch_window=1h", wantErr: "batch window"},
		{raw: "sqlite::memory:", wantErr: "give a file path"},
		{raw: "sqlite://user@./a.db", wantErr: "user info"},
		{raw: "sqlite:///a.db#x", wantErr: "fragment"},
		{raw: "sqlite://%zz", wantErr: "invalid URL escape"},
		{raw: "", wantErr: "scheme"},
	}
	for _, tc := range tests {
		t.Run(tc.raw, func(t *testing.T) {
			got, err := ParseURL(tc.raw)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("ParseURL(%q) error = %v, want one containing %q", tc.raw, err, tc.wantErr)
				}
				if !strings.Contains(err.Error(), fmt.Sprintf("%q", tc.raw)) {
					t.Fatalf("error %q does not name the url", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseURL(%q): %v", tc.raw, err)
			}
			tc.want.Path = filepath.FromSlash(tc.want.Path)
			if got != tc.want {
				t.Fatalf("ParseURL(%q) = %+v, want %+v", tc.raw, got, tc.want)
			}
		})
	}
}

func TestRestartKeepsEventsAndVersions(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "events.db")
	s := openAt(t, path)
	for i := range 3 {
		payload := json.RawMessage(fmt.Sprintf(`{"i":%d}`, i))
		if _, err := s.Append(ctx, "branch/main", int64(i), events.Envelope{Type: "t", Payload: payload}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Append(ctx, "global", events.NoStream, events.Envelope{Type: "g"}); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveCheckpoint(ctx, "proj", 4, 2); err != nil {
		t.Fatal(err)
	}
	before, err := s.ReadAll(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(ctx, "global", events.AnyVersion, events.Envelope{Type: "g"}); !errors.Is(err, events.ErrClosed) {
		t.Fatalf("append after close: err = %v, want ErrClosed", err)
	}

	s = openAt(t, path)
	defer s.Close()
	after, err := s.ReadAll(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != 4 {
		t.Fatalf("after reopen: %d events, want 4", len(after))
	}
	for i := range after {
		if after[i].EventID != before[i].EventID || after[i].GlobalPosition != before[i].GlobalPosition ||
			!after[i].RecordedAt.Equal(before[i].RecordedAt) || string(after[i].Payload) != string(before[i].Payload) {
			t.Fatalf("event %d changed across reopen: %+v, was %+v", i, after[i], before[i])
		}
	}
	// The stream versions survived: a stale expected version conflicts, the right one appends.
	var vc *events.VersionConflictError
	if _, err := s.Append(ctx, "branch/main", 2, events.Envelope{Type: "t"}); !errors.As(err, &vc) || vc.Actual != 3 {
		t.Fatalf("append at stale version 2: err = %v, want a conflict at 3", err)
	}
	res, err := s.Append(ctx, "branch/main", 3, events.Envelope{Type: "t"})
	if err != nil || res.StreamVersion != 4 || res.Last() != 5 {
		t.Fatalf("append at version 3 = %+v, %v; want version 4 at position 5", res, err)
	}
	if pos, ver, err := s.LoadCheckpoint(ctx, "proj"); err != nil || pos != 4 || ver != 2 {
		t.Fatalf("checkpoint after reopen = %d v%d, %v", pos, ver, err)
	}
}

func TestDuplicateCommandSurvivesRestart(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "events.db")
	cmd := func() []events.Envelope {
		md := events.Metadata{CommandID: "cmd-42"}
		return []events.Envelope{{Type: "a", Metadata: md}, {Type: "b", Metadata: md}}
	}
	s := openAt(t, path)
	if _, err := s.Append(ctx, "other", events.NoStream, events.Envelope{Type: "x"}); err != nil {
		t.Fatal(err)
	}
	first, err := s.Append(ctx, "s", events.NoStream, cmd()...)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = openAt(t, path)
	defer s.Close()
	again, err := s.Append(ctx, "s", events.NoStream, cmd()...)
	if err != nil {
		t.Fatal(err)
	}
	if !again.Duplicate || fmt.Sprint(again.Positions) != fmt.Sprint(first.Positions) || again.StreamVersion != first.StreamVersion {
		t.Fatalf("after reopen = %+v, want a duplicate of %+v", again, first)
	}
	if fmt.Sprint(first.Positions) != "[2 3]" {
		t.Fatalf("first positions = %v, want [2 3]", first.Positions)
	}
	if head, err := s.Head(ctx); err != nil || head != 3 {
		t.Fatalf("head = %d, %v; want 3", head, err)
	}
}

func TestCancelledWhileQueuedWritesNothing(t *testing.T) {
	ctx := context.Background()
	s := openAt(t, filepath.Join(t.TempDir(), "events.db"))
	defer s.Close()
	commit, err := s.AppendHeld(ctx, "held", events.NoStream, events.Envelope{Type: "h"})
	if err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if _, err := s.Append(cctx, "queued", events.NoStream, events.Envelope{Type: "q"}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("append queued behind a held transaction: err = %v, want DeadlineExceeded", err)
	}
	if _, err := commit(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(ctx, "after", events.NoStream, events.Envelope{Type: "a"}); err != nil {
		t.Fatal(err)
	}
	all, err := s.ReadAll(ctx, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 || all[0].Stream != "held" || all[1].Stream != "after" {
		t.Fatalf("log = %v, want held then after", all)
	}
}

func TestConnectionSettings(t *testing.T) {
	s := openAt(t, filepath.Join(t.TempDir(), "events.db"))
	defer s.Close()
	pragmas := func(db interface {
		QueryRowContext(context.Context, string, ...any) *sql.Row
	}, names ...string) map[string]string {
		out := map[string]string{}
		for _, name := range names {
			var v string
			if err := db.QueryRowContext(context.Background(), "PRAGMA "+name).Scan(&v); err != nil {
				t.Fatalf("pragma %s: %v", name, err)
			}
			out[name] = v
		}
		return out
	}
	names := []string{"journal_mode", "synchronous", "foreign_keys", "busy_timeout", "temp_store", "query_only", "wal_autocheckpoint"}
	writer := pragmas(s.DB(), names...)
	want := map[string]string{"journal_mode": "wal", "synchronous": "1", "foreign_keys": "0", "busy_timeout": "5000", "temp_store": "2",
		"query_only": "0", "wal_autocheckpoint": "0"}
	if fmt.Sprint(writer) != fmt.Sprint(want) {
		t.Errorf("writer pragmas = %v, want %v", writer, want)
	}
	reader := pragmas(s.rdb, "journal_mode", "foreign_keys", "busy_timeout", "query_only")
	want = map[string]string{"journal_mode": "wal", "foreign_keys": "0", "busy_timeout": "5000", "query_only": "1"}
	if fmt.Sprint(reader) != fmt.Sprint(want) {
		t.Errorf("reader pragmas = %v, want %v", reader, want)
	}
	if got := s.DB().Stats().MaxOpenConnections; got != 1 {
		t.Errorf("writer pool allows %d connections, want 1", got)
	}
	if got := s.rdb.Stats().MaxOpenConnections; got < 2 {
		t.Errorf("reader pool allows %d connections, want several", got)
	}
}

func TestDuplicateEventIDRollsBackOnlyItsAppend(t *testing.T) {
	ctx := context.Background()
	s := openAt(t, filepath.Join(t.TempDir(), "events.db"))
	defer s.Close()
	first, err := s.Append(ctx, "a", events.NoStream, events.Envelope{Type: "t"})
	if err != nil {
		t.Fatal(err)
	}
	stored, err := s.ReadStream(ctx, "a", 0, 1)
	if err != nil || len(stored) != 1 {
		t.Fatalf("read back: %v, %v", stored, err)
	}
	// Many appends queued behind a held transaction, so that they share a group commit (whose
	// set-based INSERT OR ROLLBACK fails); one reuses a stored event id.
	held, err := s.AppendHeld(ctx, "held", events.NoStream, events.Envelope{Type: "h"})
	if err != nil {
		t.Fatal(err)
	}
	const n = 20
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e := events.Envelope{Type: "t"}
			if i == n/2 {
				e.EventID = stored[0].EventID
			}
			_, errs[i] = s.Append(ctx, events.StreamID(fmt.Sprintf("s%d", i)), events.NoStream, events.Envelope{Type: "ok"}, e)
		}()
	}
	time.Sleep(50 * time.Millisecond) // let the appends queue
	if _, err := held(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	for i, err := range errs {
		if i == n/2 {
			if !errors.Is(err, events.ErrInvalidEvent) {
				t.Errorf("append reusing an event id: err = %v, want ErrInvalidEvent", err)
			}
			continue
		}
		if err != nil {
			t.Errorf("append %d: %v", i, err)
		}
	}
	all, err := s.ReadAll(ctx, first.Last(), 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2*(n-1)+1 {
		t.Fatalf("log holds %d new events, want %d", len(all), 2*(n-1)+1)
	}
	for i := range all {
		if all[i].GlobalPosition != first.Last()+events.Position(i)+1 {
			t.Fatalf("positions have a gap: %d at index %d", all[i].GlobalPosition, i)
		}
		if all[i].Stream == events.StreamID(fmt.Sprintf("s%d", n/2)) {
			t.Fatalf("the failed append left event %+v", all[i])
		}
	}
}

// DurableHead is at least the last position an answered append wrote, and, after a restart, the
// log's head, before any append.
func TestDurableHeadFollowsAnsweredAppends(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "events.db")
	s := openAt(t, path)
	if h := s.DurableHead(); h != 0 {
		t.Fatalf("empty log: durable head %d", h)
	}
	var last events.Position
	for i := range 3 {
		res, err := s.Append(ctx, "branch/main", int64(2*i), events.Envelope{Type: "t", Payload: json.RawMessage(`{}`)}, events.Envelope{Type: "t", Payload: json.RawMessage(`{}`)})
		if err != nil {
			t.Fatal(err)
		}
		last = res.Last()
		if h := s.DurableHead(); h < last {
			t.Fatalf("after an append answered at %d: durable head %d", last, h)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openAt(t, path)
	defer s.Close()
	if h := s.DurableHead(); h != last {
		t.Fatalf("reopened: durable head %d, want %d", h, last)
	}
}
