package graph

import (
	"errors"
	"hash/crc32"
	"io"
	"maps"
	"math"
	"slices"
	"time"
)

// ErrBadSnapshot is wrapped by every error of ReadSnapshot and ReadInterner about the input
// itself: not a snapshot, another kind of snapshot, an unknown format version, a checksum that
// does not match (truncated or corrupted input) or a payload that does not decode.
var ErrBadSnapshot = errors.New("bad snapshot")

// Snapshot format (all integers are encoding/binary varints unless said otherwise):
//
//	header   "IHGS" | kind byte ('S' state, 'I' interner) | uvarint format version
//	payload  state: position, times, main (unique values, node table, slots, nodes, edges,
//	         index, counts), global, branches
//	         interner: count, names in id order
//	trailer  CRC-32 (Castagnoli) of header and payload, 4 bytes little endian
//
// Node ids are prefix-coded against the previous id of the stream (one byte: the length of the
// prefix shared with it, then the rest), positions in chains are deltas, maps are written with
// their length plus one (0 for a nil map) and, except main's layers (written in head order, and
// main's slots node by node in node number order), in key order, so that one state always gives
// the same bytes. A snapshot of another format version is refused (ErrBadSnapshot): the caller
// replays the log instead.
const (
	snapMagic        = "IHGS"
	snapVersion      = 5 // 2: relationship edges are a layer of their own; 3: main's slots by node, no peer index; 4: Stamp data; 5: main's slots as node records
	snapKindState    = 'S'
	snapKindInterner = 'I'
	snapHeaderMin    = len(snapMagic) + 2
	snapTrailer      = 4
	snapMaxDepth     = 10_000 // nesting of Value.Data
)

var snapCRC = crc32.MakeTable(crc32.Castagnoli)

// WriteSnapshot writes the whole state to w: position, times, main, the global overlay and every
// branch. It holds the read lock while it writes, so Apply calls wait for it (readers do not).
// Every Value.Data must be nil, bool, int64, int, float64, string, json.Number, Stamp, []any or
// map[string]any (nested); another type is an error naming it. On error, w may have received
// part of the snapshot.
func (s *State) WriteSnapshot(w io.Writer) (err error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	e := newEncoder(w, snapKindState)
	defer e.recover(&err)

	e.varint(s.position)
	e.uvarint(uint64(s.times.len()))
	var prevPos, prevSec int64
	var prevLoc *time.Location
	for i := range s.times.len() {
		st := struct {
			pos int64
			at  time.Time
		}{s.times.pos(i), s.times.time(i)}
		e.varint(st.pos - prevPos)
		sec := st.at.Unix()
		e.varint(sec - prevSec)
		e.uvarint(uint64(st.at.Nanosecond()))
		prevPos, prevSec = st.pos, sec
		switch loc := st.at.Location(); {
		case loc == time.UTC:
			e.byte(zoneUTC)
		case loc == time.Local:
			e.byte(zoneLocal)
		case loc == prevLoc:
			e.byte(zoneSame)
		default:
			name, offset := st.at.Zone()
			e.byte(zoneFixed)
			e.str(name)
			e.varint(int64(offset))
			prevLoc = loc
		}
	}

	writeUnique(e, &s.main.unique)
	writeTable(e, s.main.table)
	writeSlots(e, s.main.slots)
	writeNodes(e, &s.main.nodes)
	writeEdges(e, s.main.edges)
	e.kindNodes(s.main.index)
	e.counts(s.main.counts)
	e.overlayState(s.global)
	names := slices.Sorted(maps.Keys(s.branches))
	e.uvarint(uint64(len(names)))
	for _, n := range names {
		e.overlayState(s.branches[n])
	}
	return e.finish()
}

// ReadSnapshot rebuilds a State written by WriteSnapshot: it answers every read as the written
// state did and takes further Apply calls alike. The input is read whole into memory and its
// checksum verified before anything is decoded; errors about the input wrap ErrBadSnapshot.
//
// Recorded times come back without their monotonic clock reading, in UTC, Local, or (for any
// other location) a fixed zone of the same name and offset.
func ReadSnapshot(r io.Reader) (*State, error) {
	payload, err := readEnvelope(r, snapKindState)
	if err != nil {
		return nil, err
	}
	return decodeState(payload)
}

// ReadSnapshotBytes is ReadSnapshot of a snapshot already in memory: it reads b in place (no copy
// of a snapshot that may take hundreds of megabytes) and keeps no reference to it. The checksum
// is computed while the payload decodes; a mismatch is the error reported.
func ReadSnapshotBytes(b []byte) (*State, error) {
	payload, sum, err := checkEnvelope(b, snapKindState)
	if err != nil {
		return nil, err
	}
	summed := make(chan error, 1)
	go func() { summed <- sum() }()
	s, err := decodeState(payload)
	if serr := <-summed; serr != nil {
		return nil, serr
	}
	return s, err
}

func decodeState(payload []byte) (_ *State, err error) {
	d := &decoder{b: payload}
	defer d.recover(&err)

	s := &State{position: d.varint()}
	if n := d.count(); n > 0 {
		var pos, sec int64
		var loc *time.Location
		for range n {
			pos += d.varint()
			sec += d.varint()
			nsec := d.uvarint()
			if nsec >= 1e9 {
				d.fail("nanoseconds %d out of range", nsec)
			}
			t := time.Unix(sec, int64(nsec))
			switch z := d.byte(); z {
			case zoneUTC:
				t = t.UTC()
			case zoneLocal:
				t = t.In(time.Local)
			case zoneFixed:
				name := d.str()
				loc = time.FixedZone(name, int(d.varint()))
				t = t.In(loc)
			case zoneSame:
				if loc == nil {
					d.fail("time zone refers to no previous one")
				}
				t = t.In(loc)
			default:
				d.fail("unknown time zone tag %d", z)
			}
			s.times.push(pos, t)
		}
	}
	readUnique(d, &s.main.unique) // first: its maps fill while the rest decodes
	s.main.table = readTable(d)
	s.main.slots = readSlots(d, s.main.table, &s.times)
	s.main.nodes = readNodes(d, s.main.table)
	s.main.edges = readEdges(d, s.main.table)
	if s.main.index = d.kindNodes(); s.main.index == nil {
		s.main.index = map[KindID][]NodeID{}
	}
	if s.main.counts = d.counts(); s.main.counts == nil {
		s.main.counts = map[KindID]*counter{}
	}
	s.global = d.overlayState()
	n := d.count()
	s.branches = make(map[string]*overlayState, n)
	for range n {
		b := d.overlayState()
		if b.name == Main || b.name == Global || b.name == "" {
			d.fail("reserved branch name %q", b.name)
		}
		if _, dup := s.branches[b.name]; dup {
			d.fail("branch %q twice", b.name)
		}
		s.branches[b.name] = b
	}
	d.end()
	d.wait()
	return s, nil
}

// WriteSnapshot writes the interned names to w, in id order.
func (in *Interner) WriteSnapshot(w io.Writer) (err error) {
	in.mu.RLock()
	defer in.mu.RUnlock()
	e := newEncoder(w, snapKindInterner)
	defer e.recover(&err)
	names := in.names
	if len(names) > 0 {
		names = names[1:]
	}
	e.uvarint(uint64(len(names)))
	for _, n := range names {
		e.str(n)
	}
	return e.finish()
}

// ReadInterner rebuilds an Interner written by Interner.WriteSnapshot: every name keeps its id.
func ReadInterner(r io.Reader) (_ *Interner, err error) {
	payload, err := readEnvelope(r, snapKindInterner)
	if err != nil {
		return nil, err
	}
	d := &decoder{b: payload}
	defer d.recover(&err)
	n := d.count()
	if uint64(n) >= math.MaxUint32 {
		d.fail("%d names", n)
	}
	in := &Interner{ids: make(map[string]uint32, n), names: make([]string, 1, n+1)}
	for i := range n {
		name := d.str()
		if _, dup := in.ids[name]; dup {
			d.fail("name %q twice", name)
		}
		in.ids[name] = uint32(i + 1)
		in.names = append(in.names, name)
	}
	d.end()
	return in, nil
}

// Time zone tags of a stamp.
const (
	zoneUTC   = 0
	zoneLocal = 1
	zoneFixed = 2 // name, offset in seconds: restored as time.FixedZone
	zoneSame  = 3 // the previous zoneFixed one
)

// Flags of a stored Value version.
const (
	valDeleted = 1 << iota
	valPeers   // Peers is not nil: count and ids follow
	valSource
	valOwner
	valProtected
	valDefault
)

// Type tags of Value.Data.
const (
	dataNil = iota
	dataFalse
	dataTrue
	dataInt64
	dataInt
	dataFloat64
	dataString
	dataList
	dataNilList
	dataMap
	dataNilMap
	dataNumber
	dataStamp
)
