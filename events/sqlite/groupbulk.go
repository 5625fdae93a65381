package sqlite

import (
	"context"
	"database/sql/driver"
	"fmt"
	"strings"

	"github.com/infrahub-go/infrahub/events"
)

// A large group (a batch command's append: a thousand events of one request) writes its full
// chunks without the metadata columns that are NULL in each of their rows (the columns default
// to NULL): the correlation, causation and trace ids are mostly unset, and so are the command id
// and the actor of a command without them. Binding a NULL costs as much as binding a value
// (the driver takes SQLite's connection mutex for each), and a chunk of 32 rows binds 160 of
// them; without them a 1,000-event append inserts some 10 % faster (a standalone benchmark of
// the same INSERTs: 3.2–3.5 µs per event instead of 3.7–4.0). Smaller groups (a turn of
// concurrent single-event appends) are written as before.

// bulkEvents is the fewest events a group writes with bulk statements.
const bulkEvents = 4 * maxChunk

// The nullable metadata columns of a group's event row: command_id, correlation_id,
// causation_id, actor and traceparent (see appendEventValues).
const (
	metaFirst = 7
	metaCount = 5
)

// insertGroupEvents writes the group's n events (args, groupEventColumns per row), which SQLite gives
// the positions from first on: a large group's full chunks with bulk statements, the rest with
// insertChunks.
func insertGroupEvents(ctx context.Context, gs *groupStmts, args []any, n int, first events.Position) error {
	done := 0
	for n >= bulkEvents && n-done >= maxChunk {
		rows := args[done*groupEventColumns : (done+maxChunk)*groupEventColumns]
		mask := nullMeta(rows, maxChunk)
		if mask == 0 {
			break // every chunk likely has them: the usual statements
		}
		st, err := gs.bulkStmt(ctx, mask)
		if err != nil {
			return err
		}
		gs.bulkArgs = bulkRow(gs.bulkArgs[:0], rows, maxChunk, mask)
		rowid, err := gs.execRowid(ctx, st, gs.bulkArgs)
		clear(gs.bulkArgs)
		if err != nil {
			return err
		}
		done += maxChunk
		if want := first + events.Position(done) - 1; rowid != int64(want) {
			return fmt.Errorf("events written at position %d, planned at %d", rowid, want)
		}
	}
	return insertChunks(ctx, gs, &gs.events, args[done*groupEventColumns:], n-done, groupEventColumns, first+events.Position(done))
}

// nullMeta is the set of metadata columns NULL in every one of rows rows of args: bit i for
// column metaFirst+i.
func nullMeta(args []any, rows int) uint8 {
	mask := uint8(1<<metaCount - 1)
	for r := 0; r < rows && mask != 0; r++ {
		row := args[r*groupEventColumns : (r+1)*groupEventColumns]
		for i := range metaCount {
			if row[metaFirst+i] != nil {
				mask &^= 1 << i
			}
		}
	}
	return mask
}

// bulkRow appends to dst the values of rows rows of args but the metadata columns of mask.
func bulkRow(dst, args []any, rows int, mask uint8) []any {
	for r := range rows {
		row := args[r*groupEventColumns : (r+1)*groupEventColumns]
		dst = append(dst, row[:metaFirst]...)
		for i := range metaCount {
			if mask&(1<<i) == 0 {
				dst = append(dst, row[metaFirst+i])
			}
		}
		dst = append(dst, row[metaFirst+metaCount:]...)
	}
	return dst
}

// bulkEventsSQL is groupEventsSQL without the metadata columns of mask.
func bulkEventsSQL(rows int, mask uint8) string {
	all := strings.Split(eventValueColumns, ",")
	cols := make([]string, 0, len(all))
	for i, c := range all {
		if i >= metaFirst && i < metaFirst+metaCount && mask&(1<<(i-metaFirst)) != 0 {
			continue
		}
		cols = append(cols, strings.TrimSpace(c))
	}
	row := "(" + strings.Repeat("?, ", len(cols)-1) + "?)"
	return `INSERT OR ROLLBACK INTO events (` + strings.Join(cols, ", ") + `) VALUES ` + strings.Repeat(row+", ", rows-1) + row
}

// bulkStmt is the statement of maxChunk rows without the metadata columns of mask, prepared on
// first use on the connection of gs (and closed with the others).
func (g *groupStmts) bulkStmt(ctx context.Context, mask uint8) (driver.Stmt, error) {
	if st := g.bulk[mask]; st != nil {
		return st, nil
	}
	pc, ok := g.conn.(driver.ConnPrepareContext)
	if !ok {
		return nil, fmt.Errorf("driver connection %T cannot prepare with a context", g.conn)
	}
	st, err := pc.PrepareContext(ctx, bulkEventsSQL(maxChunk, mask))
	if err != nil {
		return nil, fmt.Errorf("prepare bulk insert: %w", err)
	}
	g.bulk[mask] = st
	return st, nil
}
