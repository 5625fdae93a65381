package nodes_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"testing"

	"github.com/infrahub-go/infrahub/branch/graph"
	"github.com/infrahub-go/infrahub/branch/nodes"
)

// A snapshot whose graph was written in another format version (here the one before this
// build's) is refused with ErrBadSnapshot before anything is restored: the Store stays empty and
// the caller replays the log from position 0 (cmd/infrahub's loadSnapshot does).
func TestSnapshotOfAnotherGraphVersion(t *testing.T) {
	s, err := nodes.New()
	if err != nil {
		t.Fatal(err)
	}
	envs, payloads := benchLog(t, s.Catalogue(), 10)
	benchFill(t, s, envs, payloads)
	var buf bytes.Buffer
	if err := s.WriteSnapshot(&buf); err != nil {
		t.Fatal(err)
	}
	good := buf.Bytes()
	// The Store's snapshot: its magic, then length-prefixed sections (header, graph, names).
	b := bytes.Clone(good)
	off := len("IHNS\x01")
	n, k := binary.Uvarint(b[off:])
	off += k + int(n) // past the header section
	n, k = binary.Uvarint(b[off:])
	graphSec := b[off+k : off+k+int(n)]
	if string(graphSec[:5]) != "IHGS"+"S" {
		t.Fatalf("graph section not found: %q", graphSec[:5])
	}
	version, _ := binary.Uvarint(graphSec[5:])
	if version < 2 || version >= 0x80 {
		t.Fatalf("graph format version %d", version)
	}
	graphSec[5] = byte(version - 1)
	body := graphSec[:len(graphSec)-4] // resealed: only the version is wrong
	binary.LittleEndian.PutUint32(graphSec[len(body):], crc32.Checksum(body, crc32.MakeTable(crc32.Castagnoli)))

	r, err := nodes.New()
	if err != nil {
		t.Fatal(err)
	}
	if err := r.ReadSnapshot(bytes.NewReader(b)); !errors.Is(err, graph.ErrBadSnapshot) {
		t.Fatalf("snapshot of format %d: %v, want ErrBadSnapshot", version-1, err)
	}
	if r.Position() != 0 {
		t.Fatalf("a refused snapshot left the Store at position %d", r.Position())
	}
	benchFill(t, r, envs, payloads) // the replay from the log
	if r.Position() != s.Position() {
		t.Fatalf("replayed to %d, want %d", r.Position(), s.Position())
	}
	if err := r.Reset(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := r.ReadSnapshot(bytes.NewReader(good)); err != nil || r.Position() != s.Position() {
		t.Fatalf("snapshot of this version: %v, position %d", err, r.Position())
	}
}
