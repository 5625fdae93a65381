package nodes

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/google/uuid"

	"github.com/infrahub-go/infrahub/branch"
	"github.com/infrahub-go/infrahub/branch/graph"
	"github.com/infrahub-go/infrahub/events"
)

// ErrBadSnapshot is returned for a snapshot that cannot be read.
var ErrBadSnapshot = errors.New("bad store snapshot")

const snapshotMagic = "IHNS\x01"

type snapshotHead struct {
	Position  events.Position `json:"position"`
	LastEvent uuid.UUID       `json:"last_event"`
	Branches  branch.Snapshot `json:"branches"`
}

// WriteSnapshot writes the whole Store (branches, schemas, nodes, interned names) so that a
// restart can resume from it instead of replaying the log from position 0. Applies wait while it
// writes.
func (s *Store) WriteSnapshot(w io.Writer) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	bw := bufio.NewWriterSize(w, 1<<20)
	if _, err := bw.WriteString(snapshotMagic); err != nil {
		return err
	}
	head, err := json.Marshal(snapshotHead{s.position, s.lastEvent, s.branches.Snapshot()})
	if err != nil {
		return err
	}
	if err := section(bw, func(w io.Writer) error { _, err := w.Write(head); return err }); err != nil {
		return err
	}
	for _, write := range []func(io.Writer) error{s.g.WriteSnapshot, s.kinds.WriteSnapshot, s.fields.WriteSnapshot, s.constraints.WriteSnapshot} {
		if err := section(bw, write); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// section writes a length-prefixed part.
func section(w io.Writer, write func(io.Writer) error) error {
	var buf bytes.Buffer
	if err := write(&buf); err != nil {
		return err
	}
	var n [binary.MaxVarintLen64]byte
	if _, err := w.Write(n[:binary.PutUvarint(n[:], uint64(buf.Len()))]); err != nil {
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// ReadSnapshot replaces the Store's content with a snapshot's. On error the Store is left empty
// (as after Reset), never half-restored.
func (s *Store) ReadSnapshot(r io.Reader) error {
	br := bufio.NewReaderSize(r, 1<<20)
	magic := make([]byte, len(snapshotMagic))
	if _, err := io.ReadFull(br, magic); err != nil || string(magic) != snapshotMagic {
		return fmt.Errorf("%w: not a snapshot of this version", ErrBadSnapshot)
	}
	next := func() ([]byte, error) {
		n, err := binary.ReadUvarint(br)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrBadSnapshot, err)
		}
		buf := make([]byte, n)
		if _, err := io.ReadFull(br, buf); err != nil {
			return nil, fmt.Errorf("%w: truncated: %v", ErrBadSnapshot, err)
		}
		return buf, nil
	}
	raw, err := next()
	if err != nil {
		return err
	}
	var head snapshotHead
	if err := json.Unmarshal(raw, &head); err != nil {
		return fmt.Errorf("%w: header: %v", ErrBadSnapshot, err)
	}
	raw, err = next()
	if err != nil {
		return err
	}
	g, err := graph.ReadSnapshotBytes(raw)
	if err != nil {
		return err
	}
	var names [3]*graph.Interner
	for i := range names {
		if raw, err = next(); err != nil {
			return err
		}
		if names[i], err = graph.ReadInterner(bytes.NewReader(raw)); err != nil {
			return err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.branches.Restore(head.Branches); err != nil {
		s.clear()
		_ = s.branches.Restore(branch.Snapshot{})
		return fmt.Errorf("%w: %v", ErrBadSnapshot, err)
	}
	s.g, s.kinds, s.fields, s.constraints = g, names[0], names[1], names[2]
	s.names = newNames()
	s.position, s.lastEvent = head.Position, head.LastEvent
	return nil
}
