package sqlite

import (
	"context"
	"database/sql/driver"
	"fmt"
	"strings"
	"time"

	"github.com/infrahub-go/infrahub/events"
)

// A group commit is applied set-based: one query reads the versions of the streams the writer
// does not know (see versionCache), the checks run in Go in arrival order, then a few multi-row
// INSERTs write the events and the command records of the whole group (a stream's version is
// the highest stream_version of its events: nothing else records it). The command ids are not
// looked up first: a retry of a command already in the log is rare, and the insert of its
// command record fails on the primary key. A failed write (that, an event id already in the log, ...) undoes the group,
// which is then applied again set-based after one query has read the command records of every
// command id in the group (groupLookup), and should a write fail again, one request per
// savepoint (applyInSavepoint), where it fails alone. So is a group where a request with a
// command id meets a version conflict: the request may be a retry, whose duplicate wins over
// the version check.
//
// The group's INSERTs are INSERT OR ROLLBACK: since any failure undoes the whole transaction
// anyway, SQLite need not keep a statement journal (a copy of every page a multi-row INSERT
// changes, so that the statement alone can be undone); that copying was about 5 % of the
// writer's time. For the events, that is not enough: a multi-row INSERT that gives the INTEGER
// PRIMARY KEY (global_position) checks each value is an integer (OP_MustBeInt), which may abort
// the statement, and SQLite then keeps the statement journal whatever the conflict clause. So
// the group's INSERT leaves the position out, and SQLite gives each row the highest position in
// the log plus one: the positions plan gives (from the last position read in the transaction
// on, one per event, in order). write checks that the last row of each INSERT got the
// position planned.

// A lookup statement takes one of chunkSizes keys; a list is looked up by the narrowest
// statement that holds what is left of it (at most the widest), padded with NULL, which matches
// nothing. A group of 16 thus binds 16 keys, not 32: SQLite builds a temporary index of the
// IN list on every run, so the padding cost as much as the keys.

// chunkSizes are the row counts of the prepared multi-row INSERTs, largest first; n rows are
// written by the binary decomposition of n.
var chunkSizes = [...]int{maxChunk, 16, 8, 4, 2, 1}

const maxChunk = 32

const (
	sqlLookupCommands = `SELECT c.command_id, c.first_position, c.event_count, ` + sqlCommandVersion + `
		FROM event_commands c JOIN events e ON e.global_position = c.first_position WHERE c.command_id IN `
	// A stream's version is its highest stream_version: the UNIQUE (stream, stream_version)
	// index answers it with one seek per stream (SQLite's min/max optimisation). The keys come
	// as a VALUES list, whose NULL padding is dropped.
	sqlStreamVersions = `SELECT column1, (SELECT max(stream_version) FROM events WHERE stream = column1)
		FROM (VALUES %s) WHERE column1 IS NOT NULL`
	sqlInsertCommands = `INSERT OR ROLLBACK INTO event_commands (command_id, first_position, event_count,
		payload_hash, answer) VALUES %s`
	commandColumns = 5
)

func rowsSQL(format string, columns, rows int) string {
	row := "(" + strings.Repeat("?, ", columns-1) + "?)"
	return fmt.Sprintf(format, strings.Repeat(row+", ", rows-1)+row)
}

func inListSQL(prefix string, width int) string {
	return prefix + "(" + strings.Repeat("?, ", width-1) + "?)"
}

// group is the plan of one group commit: the rows to write and each request's outcome. The
// writer reuses one from group to group (reset), keeping its slices' and maps' room.
type group struct {
	eventArgs, commandArgs []any
	nEvents, nCommands     int
	first                  events.Position // of the group's first event
	versions               map[events.StreamID]int64
	dirty                  []events.StreamID // streams whose version changes, first write first
	isDirty                map[events.StreamID]bool
	known                  map[string]commandRecord
	cmdKeys, streamKeys    []any // what load looks up, each key once
	listedCmd              map[string]bool
	listedStream           map[events.StreamID]bool
	cache                  versionCache // kept from group to group
}

// reset empties g for the next group, dropping its references to the last group's data.
func (g *group) reset() {
	if g.versions == nil {
		g.versions, g.isDirty, g.known = map[events.StreamID]int64{}, map[events.StreamID]bool{}, map[string]commandRecord{}
		g.listedCmd, g.listedStream = map[string]bool{}, map[events.StreamID]bool{}
	}
	for _, args := range []*[]any{&g.eventArgs, &g.commandArgs, &g.cmdKeys, &g.streamKeys} {
		clear(*args)
		*args = (*args)[:0]
	}
	clear(g.dirty)
	g.dirty = g.dirty[:0]
	clear(g.versions)
	clear(g.isDirty)
	clear(g.known)
	clear(g.listedCmd)
	clear(g.listedStream)
	g.nEvents, g.nCommands, g.first = 0, 0, 0
}

// applyGroup applies the requests of outcomes that have no error yet, from position next on,
// set-based, and returns the highest position written; lookup says whether the group's command
// ids are looked up first. ok false means a statement failed, or, without the lookup, that a
// request with a command id met a version conflict: the transaction must be rolled back and the
// group applied again in the next applyMode.
func applyGroup(ctx context.Context, gs *groupStmts, g *group, outcomes []outcome, next events.Position, lookup bool) (last events.Position, ok bool) {
	g.reset()
	g.first = next
	if err := g.load(ctx, gs, outcomes, lookup); err != nil {
		return 0, false
	}
	recorded := time.Now().UnixMicro()
	recordedArg := any(recorded) // boxed once for every row of the group
	last = next - 1
	for i := range outcomes {
		o := &outcomes[i]
		if o.err != nil {
			continue
		}
		o.res, o.err = g.plan(o.req, last+1, recorded, recordedArg)
		switch {
		case o.err != nil && !lookup && o.req.evs[0].Metadata.CommandID != "":
			return 0, false // perhaps a retry: its duplicate wins over the conflict
		case o.err == nil && !o.res.Duplicate:
			last = o.res.Last()
		}
	}
	if err := g.write(ctx, gs); err != nil {
		return 0, false
	}
	return last, true
}

// load reads the stream versions the group's requests need and, with lookup, their command
// records.
func (g *group) load(ctx context.Context, gs *groupStmts, outcomes []outcome, lookup bool) error {
	for _, o := range outcomes {
		if o.err != nil {
			continue
		}
		if cmd := o.req.evs[0].Metadata.CommandID; lookup && cmd != "" && !g.listedCmd[cmd] {
			g.listedCmd[cmd] = true
			g.cmdKeys = append(g.cmdKeys, cmd)
		}
		if !g.listedStream[o.req.stream] {
			g.listedStream[o.req.stream] = true
			if v, ok := g.cache.lookup(o.req.stream); ok {
				g.versions[o.req.stream] = v
			} else {
				g.streamKeys = append(g.streamKeys, string(o.req.stream))
			}
		}
	}
	if err := lookupIn(ctx, gs, &gs.lookupCommands, g.cmdKeys, func(row []driver.Value) error {
		id, err := textValue(row[0])
		var rec commandRecord
		for i, dst := range []*int64{&rec.first, &rec.count, &rec.version} {
			if err == nil {
				*dst, err = int64Value(row[i+1])
			}
		}
		g.known[id] = rec
		return err
	}); err != nil {
		return fmt.Errorf("look up commands: %w", err)
	}
	return lookupIn(ctx, gs, &gs.streamVersions, g.streamKeys, func(row []driver.Value) error {
		stream, err := textValue(row[0])
		if err != nil || row[1] == nil { // nil: a stream without events
			return err
		}
		version, err := int64Value(row[1])
		g.versions[events.StreamID(stream)] = version
		return err
	})
}

// lookupIn runs the IN-list queries of stmts over keys, calling scan on each row.
func lookupIn(ctx context.Context, gs *groupStmts, stmts *[len(chunkSizes)]driver.Stmt, keys []any, scan func([]driver.Value) error) error {
	var args [maxChunk]any
	for done := 0; done < len(keys); {
		i := lookupStmt(len(keys) - done)
		width := chunkSizes[i]
		n := copy(args[:width], keys[done:])
		clear(args[n:width])
		if err := gs.query(ctx, stmts[i], args[:width], scan); err != nil {
			return err
		}
		done += n
	}
	return nil
}

// lookupStmt is the index in chunkSizes of the narrowest statement that holds left keys, or of
// the widest.
func lookupStmt(left int) int {
	i := 0
	for i+1 < len(chunkSizes) && chunkSizes[i+1] >= left {
		i++
	}
	return i
}

// commandRecord is what the group knows of a command id's append: its result is built only
// when a retry of it needs one.
type commandRecord struct{ first, count, version int64 }

// duplicate is the result of a retry of the command.
func (c commandRecord) duplicate() events.AppendResult {
	res := events.AppendResult{Positions: make([]events.Position, c.count), StreamVersion: c.version, Duplicate: true}
	for i := range res.Positions {
		res.Positions[i] = events.Position(c.first + int64(i))
	}
	return res
}

// plan decides one append as applyAppend would and queues its rows: a known command id makes a
// duplicate, then the expected version is checked against the group's view of the stream.
func (g *group) plan(r *appendRequest, next events.Position, recorded int64, recordedArg any) (events.AppendResult, error) {
	a := &r.appendArgs
	cmd := a.evs[0].Metadata.CommandID
	if cmd != "" {
		if rec, found := g.known[cmd]; found {
			return rec.duplicate(), nil
		}
	}
	current := g.versions[a.stream]
	if a.expected != events.AnyVersion && a.expected != current {
		return events.AppendResult{}, &events.VersionConflictError{Stream: a.stream, Expected: a.expected, Actual: current}
	}
	res := events.AppendResult{Positions: make([]events.Position, len(a.evs)), StreamVersion: current + int64(len(a.evs)),
		RecordedAt: time.UnixMicro(recorded).UTC()}
	for i := range a.evs {
		res.Positions[i] = next + events.Position(i)
		g.eventArgs = append(g.eventArgs, r.rows.events[i*groupEventColumns:(i+1)*groupEventColumns]...)
		row := g.eventArgs[len(g.eventArgs)-groupEventColumns:]
		row[colVersion], row[colRecorded] = current+1+int64(i), recordedArg
	}
	g.nEvents += len(a.evs)
	if !g.isDirty[a.stream] {
		g.isDirty[a.stream] = true
		g.dirty = append(g.dirty, a.stream)
	}
	g.versions[a.stream] = res.StreamVersion
	if cmd != "" {
		g.commandArgs = append(g.commandArgs, r.rows.command...)
		g.commandArgs[len(g.commandArgs)-commandColumns+colCmdFirst] = int64(next)
		g.nCommands++
		g.known[cmd] = commandRecord{int64(next), int64(len(a.evs)), res.StreamVersion}
	}
	return res, nil
}

// write runs the group's multi-row INSERTs.
func (g *group) write(ctx context.Context, gs *groupStmts) error {
	if err := insertGroupEvents(ctx, gs, g.eventArgs, g.nEvents, g.first); err != nil {
		return err
	}
	return insertChunks(ctx, gs, &gs.commands, g.commandArgs, g.nCommands, commandColumns, 0)
}

// insertChunks writes n rows of args with the statements of chunkSizes. With first set, the
// rows are events that SQLite gives the positions from first on: each statement's last row
// must have got the position planned for it.
func insertChunks(ctx context.Context, gs *groupStmts, stmts *[len(chunkSizes)]driver.Stmt, args []any, n, columns int, first events.Position) error {
	done := 0
	for i, size := range chunkSizes {
		for n-done >= size {
			rowid, err := gs.execRowid(ctx, stmts[i], args[done*columns:(done+size)*columns])
			if err != nil {
				return err
			}
			done += size
			if want := first + events.Position(done) - 1; first > 0 && rowid != int64(want) {
				return fmt.Errorf("events written at position %d, planned at %d", rowid, want)
			}
		}
	}
	return nil
}

// requestRows are the rows a request writes, built on its caller's goroutine (newAppendRequest)
// so that the writer only copies them and sets what the group decides: converting every value
// to an `any` was some ten allocations per append on the writer.
type requestRows struct {
	events  []any // groupEventColumns per event (no position); version and recorded time unset
	command []any // commandColumns, nil without a command id; first position unset
}

// The values plan sets in a row of requestRows.
const (
	colVersion, colRecorded = 1, 6 // of an event (see appendEventValues)
	colCmdFirst             = 1    // of a command (see sqlInsertCommands)
)

func buildRows(a appendArgs) requestRows {
	r := requestRows{events: make([]any, 0, len(a.evs)*groupEventColumns)}
	for i := range a.evs {
		r.events = appendEventValues(r.events, &a.evs[i], 0, 0)
	}
	if len(a.evs) > 0 && a.evs[0].Metadata.CommandID != "" {
		var answer any
		if len(a.cmd.Answer) > 0 {
			answer = []byte(a.cmd.Answer)
		}
		r.command = []any{a.evs[0].Metadata.CommandID, nil, int64(len(a.evs)), nullable(a.cmd.Hash), answer}
	}
	return r
}
