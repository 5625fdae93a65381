// Package migrations holds the SQL schema of the event log for PostgreSQL and SQLite, embedded in
// the binary and applied with goose by `infrahub migrate` and at start-up.
package migrations

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed postgres/*.sql
var postgresFS embed.FS

//go:embed sqlite/*.sql
var sqliteFS embed.FS

// Dialect names a database family.
type Dialect string

// The supported dialects.
const (
	Postgres Dialect = "postgres"
	SQLite   Dialect = "sqlite"
)

// Result lists what Up applied.
type Result struct {
	Applied []string // file names applied by this call
	Version int64    // schema version afterwards
}

// Up applies every pending migration of dialect to db.
func Up(ctx context.Context, db *sql.DB, d Dialect) (Result, error) {
	var (
		sub     fs.FS
		err     error
		dialect goose.Dialect
	)
	switch d {
	case Postgres:
		sub, err = fs.Sub(postgresFS, "postgres")
		dialect = goose.DialectPostgres
	case SQLite:
		sub, err = fs.Sub(sqliteFS, "sqlite")
		dialect = goose.DialectSQLite3
	default:
		return Result{}, fmt.Errorf("migrations: unknown dialect %q", d)
	}
	if err != nil {
		return Result{}, fmt.Errorf("migrations: %w", err)
	}
	var opts []goose.ProviderOption
	if d == Postgres {
		// Servers starting together on a fresh database take turns instead of racing.
		locker, err := lock.NewPostgresSessionLocker(lock.WithLockTimeout(1, 300))
		if err != nil {
			return Result{}, fmt.Errorf("migrations: %w", err)
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	p, err := goose.NewProvider(dialect, db, sub, opts...)
	if err != nil {
		return Result{}, fmt.Errorf("migrations: %w", err)
	}
	results, err := p.Up(ctx)
	if err != nil {
		return Result{}, fmt.Errorf("migrations: apply %s: %w", d, err)
	}
	var out Result
	for _, r := range results {
		out.Applied = append(out.Applied, r.Source.Path)
	}
	if out.Version, err = p.GetDBVersion(ctx); err != nil {
		return out, fmt.Errorf("migrations: read version: %w", err)
	}
	return out, nil
}
