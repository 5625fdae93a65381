package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/infrahub-go/infrahub/events"
)

// walWorkload runs the same writes on db: several commits of many pages (rows with blobs that
// spill to overflow pages), updates and deletes, so some commits rewrite pages already in the
// WAL, and a commit larger than one write.
func walWorkload(t *testing.T, db *sql.DB) {
	t.Helper()
	ctx := context.Background()
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL, body BLOB NOT NULL)")
	for commit := range 20 {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i := range 25 {
			id := commit*25 + i
			body := bytes.Repeat([]byte{byte(id)}, 100+(id*397)%9000)
			if _, err := tx.ExecContext(ctx, "INSERT INTO t (id, name, body) VALUES (?, ?, ?)", id, fmt.Sprintf("row-%d", id), body); err != nil {
				t.Fatal(err)
			}
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		exec("UPDATE t SET name = name || '+' WHERE id % 7 = ?", commit%7)
	}
	exec("DELETE FROM t WHERE id % 5 = 0")
	// One commit of ~150 frames, more than one write may carry (walJoinMaxWrite).
	exec("INSERT INTO t (id, name, body) VALUES (?, ?, ?)", 1<<20, "big", bytes.Repeat([]byte("big"), 200_000))
}

func walTestDSN(path string, joined bool) string {
	d := dsn(path, "_pragma=journal_mode(WAL)", "_pragma=synchronous(NORMAL)", "_pragma=wal_autocheckpoint(0)")
	if joined {
		d += "&vfs=" + walJoinVFSName
	}
	return d
}

func dumpRows(t *testing.T, db *sql.DB) string {
	t.Helper()
	rows, err := db.Query("SELECT id, name, hex(body) FROM t ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var id int64
		var name, body string
		if err := rows.Scan(&id, &name, &body); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%d %s %s\n", id, name, body)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// walFrames splits a WAL file into frames of pageSize, returning each frame's page number,
// commit size (its first 8 header bytes) and page; the salts and checksums differ from one
// WAL to another and are left out.
func walFrames(t *testing.T, wal []byte) (headers [][]byte, pages [][]byte) {
	t.Helper()
	if len(wal) < walHeaderSize {
		t.Fatalf("WAL of %d bytes", len(wal))
	}
	pageSize := int(binary.BigEndian.Uint32(wal[8:12]))
	frame := walFrameHeaderSize + pageSize
	if (len(wal)-walHeaderSize)%frame != 0 {
		t.Fatalf("WAL of %d bytes is not a header and whole frames of %d", len(wal), frame)
	}
	for off := walHeaderSize; off < len(wal); off += frame {
		headers = append(headers, wal[off:off+8])
		pages = append(pages, wal[off+walFrameHeaderSize:off+frame])
	}
	return headers, pages
}

// TestWALJoinVFSWritesTheSameWAL runs one workload through the joining VFS and one through the
// default VFS: the WAL files hold the same frames (page numbers, commit marks, pages), a copy
// of the joined database taken without a checkpoint or close, as a kill would leave it, is
// recovered from its WAL by the default VFS with every row, and after a checkpoint the two
// database files are byte-identical.
func TestWALJoinVFSWritesTheSameWAL(t *testing.T) {
	if !registerWALJoinVFS() {
		t.Skip("the default VFS could not be wrapped on this platform")
	}
	dir := t.TempDir()
	joinedPath, plainPath := filepath.Join(dir, "joined.db"), filepath.Join(dir, "plain.db")
	open := func(path string, joined bool) *sql.DB {
		db, err := openPool(context.Background(), walTestDSN(path, joined), 1)
		if err != nil {
			t.Fatal(err)
		}
		return db
	}
	joined, plain := open(joinedPath, true), open(plainPath, false)
	defer joined.Close()
	defer plain.Close()

	before := walJoinedWrites.Load()
	walWorkload(t, joined)
	walWorkload(t, plain)
	if n := walJoinedWrites.Load() - before; n < 100 {
		t.Fatalf("%d frames written with one call, want every frame of the workload (>= 100)", n)
	}

	readFile := func(p string) []byte {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	jWAL, pWAL := readFile(joinedPath+"-wal"), readFile(plainPath+"-wal")
	if len(jWAL) != len(pWAL) {
		t.Fatalf("WAL sizes differ: joined %d bytes, default %d", len(jWAL), len(pWAL))
	}
	jh, jp := walFrames(t, jWAL)
	ph, pp := walFrames(t, pWAL)
	for i := range jh {
		if !bytes.Equal(jh[i], ph[i]) || !bytes.Equal(jp[i], pp[i]) {
			t.Fatalf("frame %d differs between the joined and the default WAL", i)
		}
	}

	// The files as a kill would leave them: no checkpoint, the WAL not closed.
	crashDir := t.TempDir()
	crashPath := filepath.Join(crashDir, "joined.db")
	for _, suffix := range []string{"", "-wal"} {
		if err := os.WriteFile(crashPath+suffix, readFile(joinedPath+suffix), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	recovered := open(crashPath, false)
	defer recovered.Close()
	want := dumpRows(t, plain)
	if got := dumpRows(t, recovered); got != want {
		t.Fatal("the database recovered from the joined WAL does not hold the rows of the default one")
	}
	if got := dumpRows(t, joined); got != want {
		t.Fatal("the joined database does not read back the rows of the default one")
	}

	for _, db := range []*sql.DB{joined, plain} {
		if _, err := db.Exec("PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(readFile(joinedPath), readFile(plainPath)) {
		t.Fatal("after a checkpoint the joined database file differs from the default one")
	}
}

// TestStoreWriterUsesWALJoinVFS checks that the store's appends go through the joining VFS,
// so the saving applies to the event log (TestAcknowledgedAppendsSurviveKill covers a kill).
func TestStoreWriterUsesWALJoinVFS(t *testing.T) {
	if !registerWALJoinVFS() {
		t.Skip("the default VFS could not be wrapped on this platform")
	}
	s := openAt(t, filepath.Join(t.TempDir(), "events.db"))
	defer s.Close()
	before := walJoinedWrites.Load()
	if _, err := s.Append(context.Background(), "vfs/1", 0, events.Envelope{Type: "t",
		Metadata: events.Metadata{CommandID: "vfs-1"}}); err != nil {
		t.Fatal(err)
	}
	if walJoinedWrites.Load() == before {
		t.Fatal("an append wrote no WAL frame through the joining VFS")
	}
}

// TestWALJoinVFSRecoversSpilledTransaction commits a transaction larger than the page cache:
// SQLite spills frames to the WAL before the commit, writes some pages again in place and then
// rewrites the frame headers' checksums with 24-byte writes that no page follows. The files as
// a kill would leave them right after the commit must hold the whole transaction.
func TestWALJoinVFSRecoversSpilledTransaction(t *testing.T) {
	if !registerWALJoinVFS() {
		t.Skip("the default VFS could not be wrapped on this platform")
	}
	path := filepath.Join(t.TempDir(), "spill.db")
	db, err := openPool(context.Background(), walTestDSN(path, true)+"&_pragma=cache_size(8)", 1)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL, body BLOB NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	rewrites := walJoinHeaderRewrites.Load()
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	for id := range 3000 {
		if _, err := tx.Exec("INSERT INTO t (id, name, body) VALUES (?, ?, ?)", id, "x", bytes.Repeat([]byte{byte(id)}, 300)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := tx.Exec("UPDATE t SET name = 'y' || id"); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if walJoinHeaderRewrites.Load() == rewrites {
		t.Fatal("the transaction rewrote no frame header: it does not test the checksum rewrite")
	}
	// Copied before anything else touches the WAL: a read through the writer's file would
	// write a held header and hide a header held past the commit.
	crashPath := filepath.Join(t.TempDir(), "spill.db")
	for _, suffix := range []string{"", "-wal"} {
		b, err := os.ReadFile(path + suffix)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(crashPath+suffix, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	want := dumpRows(t, db)
	recovered, err := openPool(context.Background(), walTestDSN(crashPath, false), 1)
	if err != nil {
		t.Fatal(err)
	}
	defer recovered.Close()
	var n int
	if err := recovered.QueryRow("SELECT count(*) FROM t").Scan(&n); err != nil || n != 3000 {
		t.Fatalf("recovered %d rows (%v), want 3000", n, err)
	}
	if got := dumpRows(t, recovered); got != want {
		t.Fatal("the recovered rows differ from the committed ones")
	}
}
