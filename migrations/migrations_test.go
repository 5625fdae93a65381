package migrations_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
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
	if err := db.QueryRow(`SELECT count(*) FROM sqlite_master WHERE name IN ('events','event_streams','event_commands','checkpoints')`).Scan(&n); err != nil || n != 4 {
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
