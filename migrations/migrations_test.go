package migrations_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite"

	"github.com/infrahub-go/infrahub/internal/testenv"
	"github.com/infrahub-go/infrahub/migrations"
)

func TestSQLiteUpIsIdempotent(t *testing.T) {
	db, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "m.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	first, err := migrations.Up(ctx, db, migrations.SQLite)
	if err != nil || len(first.Applied) == 0 || first.Version < 1 {
		t.Fatalf("first up: %+v, %v", first, err)
	}
	again, err := migrations.Up(ctx, db, migrations.SQLite)
	if err != nil || len(again.Applied) != 0 || again.Version != first.Version {
		t.Fatalf("second up: %+v, %v", again, err)
	}
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM sqlite_master WHERE name IN ('events','event_commands','checkpoints')`).Scan(&n); err != nil || n != 3 {
		t.Fatalf("tables: %d, %v", n, err)
	}
}

// Servers starting together on one fresh database must not race on the migrations.
func TestPostgresConcurrentUp(t *testing.T) {
	raw, schema := testenv.PostgresSchema(t)
	cfg, err := pgx.ParseConfig(raw)
	if err != nil {
		t.Fatal(err)
	}
	cfg.RuntimeParams["search_path"] = schema
	setup := stdlib.OpenDB(*cfg)
	if _, err := setup.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatal(err)
	}
	setup.Close()
	var wg sync.WaitGroup
	results := make([]migrations.Result, 4)
	errs := make([]error, 4)
	for i := range results {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			db := stdlib.OpenDB(*cfg)
			defer db.Close()
			results[i], errs[i] = migrations.Up(context.Background(), db, migrations.Postgres)
		}(i)
	}
	wg.Wait()
	total, most := 0, 0
	for i := range results {
		if errs[i] != nil {
			t.Fatalf("up %d: %v", i, errs[i])
		}
		total += len(results[i].Applied)
		most = max(most, len(results[i].Applied))
	}
	if most == 0 || total != most {
		t.Fatalf("%d migrations applied in total, the largest single run applied %d: each must be applied once", total, most)
	}
	for i := range results {
		if results[i].Version != results[0].Version {
			t.Fatalf("versions differ: %+v", results)
		}
	}
}

// A log written before 00003 and 00004 keeps its streams' versions and its command records'
// streams and versions: they come from the events once event_streams and those columns are
// dropped, and going back down rebuilds them from the events.
func TestSQLiteVersionsFromEvents(t *testing.T) {
	db, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "m.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	p, err := goose.NewProvider(goose.DialectSQLite3, db, os.DirFS("sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, 2); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO events (global_position, stream, stream_version, event_id, type, schema_version, occurred_at, recorded_at, payload)
			VALUES (1, 'a', 1, x'01', 't', 1, 0, 0, '{}'), (2, 'b', 1, x'02', 't', 1, 0, 0, '{}'), (3, 'a', 2, x'03', 't', 1, 0, 0, '{}')`,
		`INSERT INTO event_streams (stream, version) VALUES ('a', 2), ('b', 1)`,
		`INSERT INTO event_commands (command_id, stream, first_position, event_count, stream_version, payload_hash, answer)
			VALUES ('cmd-a', 'a', 1, 1, 1, 'h', x'7b7d'), ('cmd-b', 'b', 2, 1, 1, NULL, NULL)`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := migrations.Up(ctx, db, migrations.SQLite); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM sqlite_master WHERE name = 'event_streams'`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("event_streams after up: %d tables, %v; want it dropped", n, err)
	}
	var va int64
	if err := db.QueryRow(`SELECT ifnull(max(stream_version), 0) FROM events WHERE stream = 'a'`).Scan(&va); err != nil || va != 2 {
		t.Fatalf("version of a after up: %d, %v; want 2", va, err)
	}
	var stream string
	var version int64
	if err := db.QueryRow(`SELECT e.stream, e.stream_version + c.event_count - 1 FROM event_commands c
		JOIN events e ON e.global_position = c.first_position WHERE c.command_id = 'cmd-a'`).Scan(&stream, &version); err != nil || stream != "a" || version != 1 {
		t.Fatalf("command cmd-a after up: stream %q version %d, %v; want a, 1", stream, version, err)
	}
	if _, err := p.DownTo(ctx, 2); err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	rows, err := db.Query(`SELECT stream, version FROM event_streams`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var s string
		var v int64
		if err := rows.Scan(&s, &v); err != nil {
			t.Fatal(err)
		}
		got[s] = v
	}
	if len(got) != 2 || got["a"] != 2 || got["b"] != 1 {
		t.Fatalf("event_streams after down: %v; want a=2 b=1", got)
	}
	var hash string
	if err := db.QueryRow(`SELECT stream, stream_version, payload_hash FROM event_commands WHERE command_id = 'cmd-a'`).Scan(&stream, &version, &hash); err != nil ||
		stream != "a" || version != 1 || hash != "h" {
		t.Fatalf("command cmd-a after down: %q %d %q, %v; want a 1 h", stream, version, hash, err)
	}
}
