package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
)

// groupStmts are the statements of the set-based path, prepared on the writer's driver
// connection and run below database/sql (through sql.Conn.Raw): a group runs a handful of
// statements binding some 14 values per event, and database/sql's part of each (converting
// every argument, wrapping the statement for the transaction, scanning through reflection)
// was about a tenth of the writer's time. So do the BEGIN IMMEDIATE, COMMIT and ROLLBACK of the
// set-based path, prepared once instead of compiled for every transaction; database/sql never
// sees that transaction, which begins and ends within one sql.Conn.Raw call.
type groupStmts struct {
	conn                           any         // the driver connection they are prepared on
	begin, commit, rollbackStmt    driver.Stmt // BEGIN IMMEDIATE, COMMIT, ROLLBACK
	lastPosition                   driver.Stmt
	lookupCommands, streamVersions [len(chunkSizes)]driver.Stmt
	events, commands               [len(chunkSizes)]driver.Stmt
	args                           []driver.NamedValue // reused by every run
	row                            []driver.Value
	// bulk holds a large group's statements, per set of metadata columns left out (groupbulk.go),
	// each prepared on first use; bulkArgs is the rows they bind, reused
	bulk     [1 << metaCount]driver.Stmt
	bulkArgs []any
}

func (g *groupStmts) all() ([]*driver.Stmt, []string) {
	dst := []*driver.Stmt{&g.begin, &g.commit, &g.rollbackStmt, &g.lastPosition}
	queries := []string{"BEGIN IMMEDIATE", "COMMIT", "ROLLBACK", sqlLastPosition}
	for i := range g.bulk {
		if g.bulk[i] != nil { // only those prepared: all returns statements to close then
			dst, queries = append(dst, &g.bulk[i]), append(queries, bulkEventsSQL(maxChunk, uint8(i)))
		}
	}
	for i, n := range chunkSizes {
		dst = append(dst, &g.lookupCommands[i], &g.streamVersions[i], &g.events[i], &g.commands[i])
		queries = append(queries, inListSQL(sqlLookupCommands, n), rowsSQL(sqlStreamVersions, 1, n),
			groupEventsSQL(n), rowsSQL(sqlInsertCommands, commandColumns, n))
	}
	return dst, queries
}

// on prepares the statements on the driver connection dc unless they already are. A connection
// the pool replaced is gone with its statements: they are dropped, not closed.
func (g *groupStmts) on(ctx context.Context, dc any) error {
	if g.conn == dc {
		return nil
	}
	pc, ok := dc.(driver.ConnPrepareContext)
	if !ok {
		return fmt.Errorf("driver connection %T cannot prepare with a context", dc)
	}
	*g = groupStmts{args: g.args, row: g.row}
	dst, queries := g.all()
	for i, q := range queries {
		st, err := pc.PrepareContext(ctx, q)
		if err != nil {
			_ = g.close()
			return fmt.Errorf("prepare %q: %w", q, err)
		}
		*dst[i] = st
	}
	g.conn = dc
	return nil
}

// close closes the statements; they must have been prepared on a connection still open.
func (g *groupStmts) close() error {
	dst, _ := g.all()
	var errs []error
	for _, st := range dst {
		if *st != nil {
			errs = append(errs, (*st).Close())
			*st = nil
		}
	}
	g.conn = nil
	return errors.Join(errs...)
}

// prepareGroupStmts prepares gs on the one connection of the writer pool db.
func prepareGroupStmts(ctx context.Context, db *sql.DB, gs *groupStmts) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	return errors.Join(conn.Raw(func(dc any) error { return gs.on(ctx, dc) }), conn.Close())
}

// closeGroupStmts closes gs if they were prepared on the connection db holds.
func closeGroupStmts(db *sql.DB, gs *groupStmts) error {
	if db == nil || gs.conn == nil {
		return nil
	}
	conn, err := db.Conn(context.Background())
	if err != nil {
		return err
	}
	return errors.Join(conn.Raw(func(dc any) error {
		if dc != gs.conn {
			return nil // the statements went with their connection
		}
		return gs.close()
	}), conn.Close())
}

// bind sets the reused argument list to args.
func (g *groupStmts) bind(args []any) []driver.NamedValue {
	g.args = g.args[:0]
	for i, v := range args {
		g.args = append(g.args, driver.NamedValue{Ordinal: i + 1, Value: v})
	}
	return g.args
}

func (g *groupStmts) exec(ctx context.Context, st driver.Stmt, args []any) error {
	_, err := g.execRowid(ctx, st, args)
	return err
}

// execRowid runs st with args and returns the rowid of the last row it inserted.
func (g *groupStmts) execRowid(ctx context.Context, st driver.Stmt, args []any) (int64, error) {
	ex, ok := st.(driver.StmtExecContext)
	if !ok {
		return 0, fmt.Errorf("driver statement %T cannot execute with a context", st)
	}
	res, err := ex.ExecContext(ctx, g.bind(args))
	clear(g.args) // drop the references to the group's values
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

// query runs st with args and calls scan with every row's values, which are valid only during
// the call.
func (g *groupStmts) query(ctx context.Context, st driver.Stmt, args []any, scan func([]driver.Value) error) error {
	qc, ok := st.(driver.StmtQueryContext)
	if !ok {
		return fmt.Errorf("driver statement %T cannot query with a context", st)
	}
	rows, err := qc.QueryContext(ctx, g.bind(args))
	clear(g.args)
	if err != nil {
		return err
	}
	if n := len(rows.Columns()); cap(g.row) < n {
		g.row = make([]driver.Value, n)
	} else {
		g.row = g.row[:n]
	}
	for {
		err := rows.Next(g.row)
		if errors.Is(err, io.EOF) {
			break
		}
		if err == nil {
			err = scan(g.row)
		}
		if err != nil {
			return errors.Join(err, rows.Close())
		}
	}
	clear(g.row)
	return rows.Close()
}

// rollback rolls the transaction back. Its error is dropped: the transaction may have ended
// already (an INSERT OR ROLLBACK that failed ends it, and so may a failed COMMIT), and a
// transaction left open would fail the next BEGIN, which fails that group.
func (g *groupStmts) rollback(ctx context.Context) { _ = g.exec(ctx, g.rollbackStmt, nil) }

// lastPosition reads the highest position in the log.
func (g *groupStmts) readLastPosition(ctx context.Context) (last int64, err error) {
	err = g.query(ctx, g.lastPosition, nil, func(row []driver.Value) error {
		var err error
		last, err = int64Value(row[0])
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("read last position: %w", err)
	}
	return last, nil
}

func int64Value(v driver.Value) (int64, error) {
	if n, ok := v.(int64); ok {
		return n, nil
	}
	return 0, fmt.Errorf("column holds %T, want an integer", v)
}

func textValue(v driver.Value) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case []byte:
		return string(x), nil
	}
	return "", fmt.Errorf("column holds %T, want text", v)
}
