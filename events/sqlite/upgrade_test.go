package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/pressly/goose/v3"

	"github.com/infrahub-go/infrahub/events"
)

// TestUpgradedLogKeepsVersionsAndCommands opens a log written with the schema of migration 2
// (stream versions in event_streams, command records with their stream and version): once
// migrated, appends continue from the streams' versions and a retried command is answered with
// its first append.
func TestUpgradedLogKeepsVersionsAndCommands(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "events.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, db, os.DirFS(filepath.Join("..", "..", "migrations", "sqlite")))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, 2); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 3; i++ {
		stream, version, cmd := "s", i, "cmd-1"
		if i == 3 {
			stream, version, cmd = "t", 1, "cmd-2"
		}
		if _, err := db.Exec(`INSERT INTO events (global_position, stream, stream_version, event_id, type, schema_version,
			occurred_at, recorded_at, command_id, payload) VALUES (?, ?, ?, ?, 't', 1, 0, 0, ?, '{}')`,
			i, stream, version, []byte(fmt.Sprintf("id-%d", i)), cmd); err != nil {
			t.Fatal(err)
		}
	}
	for _, q := range []string{
		`INSERT INTO event_streams (stream, version) VALUES ('s', 2), ('t', 1)`,
		`INSERT INTO event_commands (command_id, stream, first_position, event_count, stream_version, payload_hash, answer)
			VALUES ('cmd-1', 's', 1, 2, 2, 'h', x'7b7d'), ('cmd-2', 't', 3, 1, 1, NULL, NULL)`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	s := openAt(t, path)
	defer s.Close()
	rec, found, err := s.Command(ctx, "cmd-1")
	if err != nil || !found || rec.Stream != "s" || fmt.Sprint(rec.Positions) != "[1 2]" || rec.StreamVersion != 2 || rec.Hash != "h" {
		t.Fatalf("command cmd-1: %+v, found %v, %v; want stream s, positions [1 2], version 2, hash h", rec, found, err)
	}
	again, err := s.AppendCommand(ctx, "s", events.NoStream, events.CommandInfo{ID: "cmd-1", Hash: "h"}, events.Envelope{Type: "t"}, events.Envelope{Type: "t"})
	if err != nil || !again.Duplicate || fmt.Sprint(again.Positions) != "[1 2]" || again.StreamVersion != 2 {
		t.Fatalf("retry of cmd-1: %+v, %v; want a duplicate of positions [1 2] at version 2", again, err)
	}
	res, err := s.Append(ctx, "s", 2, events.Envelope{Type: "t"})
	if err != nil || res.StreamVersion != 3 || res.Last() != 4 {
		t.Fatalf("append to s at version 2: %+v, %v; want version 3 at position 4", res, err)
	}
	if _, err := s.Append(ctx, "t", 0, events.Envelope{Type: "t"}); err == nil {
		t.Fatal("append to t at version 0 succeeded; want a conflict with its version 1")
	}
}
