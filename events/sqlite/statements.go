package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// envelopeColumns is the column list every read scans, in envelopeScanner.scan's order.
const envelopeColumns = `global_position, stream, stream_version, event_id, type, schema_version,
	occurred_at, recorded_at, ifnull(command_id, ''), ifnull(correlation_id, ''),
	ifnull(causation_id, ''), ifnull(actor, ''), ifnull(traceparent, ''), payload`

// insertRows is how many events one prepared multi-row INSERT writes; longer appends use it
// repeatedly and write the rest one row at a time.
const insertRows = 32

const insertEventColumns = 14

var (
	sqlInsertEvent  = insertEventsSQL("INSERT", 1)
	sqlInsertEvents = insertEventsSQL("INSERT", insertRows)
)

// insertEventsSQL is the INSERT of rows events, their positions given.
func insertEventsSQL(verb string, rows int) string {
	row := "(" + strings.Repeat("?, ", insertEventColumns-1) + "?)"
	return verb + ` INTO events (global_position, ` + eventValueColumns + `) VALUES ` + strings.Repeat(row+", ", rows-1) + row
}

// groupEventsSQL is the group commit's INSERT of rows events: their positions are left to SQLite
// (see group.go), which gives each row the highest position in the log plus one.
func groupEventsSQL(rows int) string {
	row := "(" + strings.Repeat("?, ", groupEventColumns-1) + "?)"
	return `INSERT OR ROLLBACK INTO events (` + eventValueColumns + `) VALUES ` + strings.Repeat(row+", ", rows-1) + row
}

// eventValueColumns are the columns of an event but its position, in appendEventValues' order.
const eventValueColumns = `stream, stream_version, event_id, type, schema_version, occurred_at, recorded_at,
	command_id, correlation_id, causation_id, actor, traceparent, payload`

// groupEventColumns is the number of eventValueColumns.
const groupEventColumns = insertEventColumns - 1

const (
	// A command record holds where its append begins and how many events it wrote: the stream
	// and the version it left are those of its first event, whose version its events raised by
	// one each. Keeping them too made every record some 20 bytes longer, the leaves of
	// event_commands (one dirtied per append) split that much more often, and the WAL frames
	// per append were ~4 % more.
	sqlCommandVersion = `e.stream_version + c.event_count - 1`
	sqlLookupCommand  = `SELECT c.first_position, c.event_count, ` + sqlCommandVersion + `
		FROM event_commands c JOIN events e ON e.global_position = c.first_position WHERE c.command_id = ?`
	sqlStreamVersion = `SELECT ifnull(max(stream_version), 0) FROM events WHERE stream = ?`
	sqlLastPosition  = `SELECT ifnull(max(global_position), 0) FROM events`
	sqlInsertCommand = `INSERT INTO event_commands (command_id, first_position, event_count, payload_hash, answer)
		VALUES (?, ?, ?, ?, ?)`
	sqlCommand = `SELECT e.stream, c.first_position, c.event_count, ` + sqlCommandVersion + `,
		ifnull(c.payload_hash, ''), c.answer
		FROM event_commands c JOIN events e ON e.global_position = c.first_position WHERE c.command_id = ?`
	sqlSavepoint      = `SAVEPOINT append_request`
	sqlRelease        = `RELEASE append_request`
	sqlRollbackTo     = `ROLLBACK TO append_request`
	sqlSaveCheckpoint = `INSERT INTO checkpoints (name, position, version, updated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET position = excluded.position, version = excluded.version,
		updated_at = excluded.updated_at`

	sqlReadAll        = `SELECT ` + envelopeColumns + ` FROM events WHERE global_position > ? ORDER BY global_position LIMIT ?`
	sqlReadStream     = `SELECT ` + envelopeColumns + ` FROM events WHERE stream = ? AND stream_version > ? ORDER BY stream_version LIMIT ?`
	sqlLoadCheckpoint = `SELECT position, version FROM checkpoints WHERE name = ?`
)

// writeStmts are prepared on the writer connection.
type writeStmts struct {
	lookupCommand, streamVersion, lastPosition, insertEvent, insertEvents, insertCommand *sql.Stmt
	savepoint, release, rollbackTo, saveCheckpoint                                       *sql.Stmt
}

func (w *writeStmts) all() []**sql.Stmt {
	return []**sql.Stmt{&w.lookupCommand, &w.streamVersion, &w.lastPosition, &w.insertEvent, &w.insertEvents,
		&w.insertCommand, &w.savepoint, &w.release, &w.rollbackTo, &w.saveCheckpoint}
}

func (w *writeStmts) queries() []string {
	return []string{sqlLookupCommand, sqlStreamVersion, sqlLastPosition, sqlInsertEvent, sqlInsertEvents,
		sqlInsertCommand, sqlSavepoint, sqlRelease, sqlRollbackTo, sqlSaveCheckpoint}
}

func (w *writeStmts) prepare(ctx context.Context, db *sql.DB) error {
	return prepareAll(ctx, db, w.all(), w.queries())
}

func (w *writeStmts) close() error { return closeAll(w.all()) }

// in binds the statements to tx.
func (w *writeStmts) in(ctx context.Context, tx *sql.Tx) *writeStmts {
	out := &writeStmts{}
	dst, src := out.all(), w.all()
	for i := range src {
		*dst[i] = tx.StmtContext(ctx, *src[i])
	}
	return out
}

// readStmts are prepared on the reader pool.
type readStmts struct {
	readAll, readStream, head, loadCheckpoint, command *sql.Stmt
}

func (r *readStmts) all() []**sql.Stmt {
	return []**sql.Stmt{&r.readAll, &r.readStream, &r.head, &r.loadCheckpoint, &r.command}
}

func (r *readStmts) prepare(ctx context.Context, db *sql.DB) error {
	return prepareAll(ctx, db, r.all(), []string{sqlReadAll, sqlReadStream, sqlLastPosition, sqlLoadCheckpoint, sqlCommand})
}

func (r *readStmts) close() error { return closeAll(r.all()) }

func prepareAll(ctx context.Context, db *sql.DB, dst []**sql.Stmt, queries []string) error {
	for i, q := range queries {
		st, err := db.PrepareContext(ctx, q)
		if err != nil {
			return fmt.Errorf("prepare %q: %w", q, err)
		}
		*dst[i] = st
	}
	return nil
}

func closeAll(stmts []**sql.Stmt) error {
	var errs []error
	for _, st := range stmts {
		if *st != nil {
			errs = append(errs, (*st).Close())
		}
	}
	return errors.Join(errs...)
}
