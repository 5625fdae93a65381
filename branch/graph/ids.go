package graph

import (
	"encoding/binary"
	"sync"

	"github.com/google/uuid"
)

// NodeID is a node's id: a UUIDv7 (time-ordered) kept as 16 bytes.
type NodeID [16]byte

// NewNodeID returns a fresh UUIDv7 node id.
func NewNodeID() NodeID { return NodeID(uuid.Must(uuid.NewV7())) }

// ParseNodeID parses the textual form of a UUID.
func ParseNodeID(s string) (NodeID, error) {
	if n, ok := parseCanonical(s); ok {
		return n, nil
	}
	u, err := uuid.Parse(s)
	if err != nil {
		return NodeID{}, err
	}
	return NodeID(u), nil
}

// String is the canonical UUID text.
func (n NodeID) String() string { return uuid.UUID(n).String() }

// IsZero reports whether n is the zero id (no node).
func (n NodeID) IsZero() bool { return n == NodeID{} }

// Compare orders ids bytewise, which for UUIDv7 is creation order. It compares the two halves
// as big-endian numbers (the same order), which is cheaper than a call to bytes.Compare for
// the sorted inserts and searches of every fold and read.
func (n NodeID) Compare(o NodeID) int {
	a, b := binary.BigEndian.Uint64(n[:8]), binary.BigEndian.Uint64(o[:8])
	if a == b {
		a, b = binary.BigEndian.Uint64(n[8:]), binary.BigEndian.Uint64(o[8:])
	}
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// KindID is an interned kind name.
type KindID uint32

// FieldID is an interned attribute name or relationship identifier.
type FieldID uint32

// ConstraintID is an interned uniqueness constraint (for example "name__value" or a joined
// uniqueness_constraints entry).
type ConstraintID uint32

// Slot is one field of one node.
type Slot struct {
	Node  NodeID
	Field FieldID
}

func (s Slot) compare(o Slot) int {
	if c := s.Node.Compare(o.Node); c != 0 {
		return c
	}
	switch {
	case s.Field < o.Field:
		return -1
	case s.Field > o.Field:
		return 1
	}
	return 0
}

// Interner maps names to small integers, starting at 1 (0 is never handed out, so a zero id
// means "none"). It is safe for concurrent use. Keep one per namespace (kinds, fields,
// constraints) and per schema version if names may be dropped.
type Interner struct {
	mu    sync.RWMutex
	ids   map[string]uint32
	names []string
}

// NewInterner returns an empty interner.
func NewInterner() *Interner {
	return &Interner{ids: map[string]uint32{}, names: []string{""}}
}

// ID returns name's id, interning it on first use.
func (in *Interner) ID(name string) uint32 {
	in.mu.RLock()
	id, ok := in.ids[name]
	in.mu.RUnlock()
	if ok {
		return id
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	if id, ok := in.ids[name]; ok {
		return id
	}
	id = uint32(len(in.names))
	in.ids[name] = id
	in.names = append(in.names, name)
	return id
}

// Lookup returns name's id without interning it.
func (in *Interner) Lookup(name string) (uint32, bool) {
	in.mu.RLock()
	defer in.mu.RUnlock()
	id, ok := in.ids[name]
	return id, ok
}

// Name returns the name of id, or "" when id was never handed out.
func (in *Interner) Name(id uint32) string {
	in.mu.RLock()
	defer in.mu.RUnlock()
	if int(id) >= len(in.names) {
		return ""
	}
	return in.names[id]
}

// Len is the number of interned names.
func (in *Interner) Len() int {
	in.mu.RLock()
	defer in.mu.RUnlock()
	return len(in.names) - 1
}

// parseCanonical parses the canonical form xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx (what the log
// holds), hex digits of either case; false for anything else, which uuid.Parse then reads or
// refuses.
func parseCanonical(s string) (NodeID, bool) {
	var n NodeID
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return n, false
	}
	bad := byte(0)
	for i, at := range canonicalAt {
		hi, lo := hexVal[s[at]], hexVal[s[at+1]]
		bad |= hi | lo
		n[i] = hi<<4 | lo
	}
	return n, bad&0xf0 == 0
}

// canonicalAt is where the two hex digits of each byte are in the canonical form.
var canonicalAt = [16]int{0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34}

// hexVal is the value of a hex digit, 0xff for any other byte.
var hexVal = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = byte(c - '0')
	}
	for c := 'a'; c <= 'f'; c++ {
		t[c] = byte(c-'a') + 10
		t[c-'a'+'A'] = byte(c-'a') + 10
	}
	return t
}()
