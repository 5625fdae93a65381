package graph

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"io/fs"
	"maps"
	"math"
	"math/bits"
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
//	payload  state: position, times, main (slots, nodes, unique, index, counts), global, branches
//	         interner: count, names in id order
//	trailer  CRC-32 (Castagnoli) of header and payload, 4 bytes little endian
//
// Node ids are prefix-coded against the previous id of the stream (one byte: the length of the
// prefix shared with it, then the rest), positions in chains are deltas, maps are written with
// their length plus one (0 for a nil map) and, except main's layers (written in head order),
// in key order, so that one state always gives the same bytes.
const (
	snapMagic        = "IHGS"
	snapVersion      = 2 // 2: relationship edges are a layer of their own
	snapKindState    = 'S'
	snapKindInterner = 'I'
	snapHeaderMin    = len(snapMagic) + 2
	snapTrailer      = 4
	snapMaxDepth     = 10_000 // nesting of Value.Data
)

var snapCRC = crc32.MakeTable(crc32.Castagnoli)

// WriteSnapshot writes the whole state to w: position, times, main, the global overlay and every
// branch. It holds the read lock while it writes, so Apply calls wait for it (readers do not).
// Every Value.Data must be nil, bool, int64, int, float64, string, json.Number, []any or
// map[string]any (nested); another type is an error naming it. On error, w may have received
// part of the snapshot.
func (s *State) WriteSnapshot(w io.Writer) (err error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	e := newEncoder(w, snapKindState)
	defer e.recover(&err)

	e.varint(s.position)
	e.uvarint(uint64(len(s.times)))
	var prevPos, prevSec int64
	var prevLoc *time.Location
	for _, st := range s.times {
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

	writeMain(e, slotCodec, &s.main.slots)
	writeMain(e, edgeCodec, &s.main.edges)
	e.slotPeers(s.main.peers)
	writeMain(e, nodeCodec, &s.main.nodes)
	writeMain(e, uniqueCodec, &s.main.unique)
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
func ReadSnapshot(r io.Reader) (_ *State, err error) {
	payload, err := readEnvelope(r, snapKindState)
	if err != nil {
		return nil, err
	}
	d := &decoder{b: payload}
	defer d.recover(&err)

	s := &State{position: d.varint()}
	if n := d.count(); n > 0 {
		s.times = make([]stamp, n)
		var pos, sec int64
		var loc *time.Location
		for i := range s.times {
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
			s.times[i] = stamp{pos: pos, at: t}
		}
	}
	s.main.slots = readMain(d, slotCodec)
	s.main.edges = readMain(d, edgeCodec)
	if s.main.peers = d.slotPeers(); s.main.peers == nil {
		s.main.peers = map[Slot][]NodeID{}
	}
	s.main.nodes = readMain(d, nodeCodec)
	s.main.unique = readMain(d, uniqueCodec)
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
)

// ---- encoder ----

type encoder struct {
	out   io.Writer
	w     *bufio.Writer
	h     hash.Hash32
	last  NodeID // previous id written, for prefix coding
	tmp   [17]byte
	depth int
}

// encodeError carries an error out of the encoder through panic; recover turns it back.
type encodeError struct{ err error }

func newEncoder(w io.Writer, kind byte) *encoder {
	h := crc32.New(snapCRC)
	e := &encoder{out: w, w: bufio.NewWriterSize(io.MultiWriter(w, h), 256<<10), h: h}
	e.w.WriteString(snapMagic)
	e.byte(kind)
	e.uvarint(snapVersion)
	return e
}

func (e *encoder) recover(err *error) {
	if r := recover(); r != nil {
		ee, ok := r.(encodeError)
		if !ok {
			panic(r)
		}
		*err = ee.err
	}
}

func (e *encoder) fail(format string, args ...any) {
	panic(encodeError{fmt.Errorf("graph: snapshot: "+format, args...)})
}

// finish flushes the payload and writes the checksum trailer.
func (e *encoder) finish() error {
	if err := e.w.Flush(); err != nil {
		return fmt.Errorf("graph: snapshot: %w", err)
	}
	binary.LittleEndian.PutUint32(e.tmp[:4], e.h.Sum32())
	if _, err := e.out.Write(e.tmp[:4]); err != nil {
		return fmt.Errorf("graph: snapshot: %w", err)
	}
	return nil
}

func (e *encoder) byte(b byte) { e.w.WriteByte(b) }

func (e *encoder) uvarint(v uint64) {
	if v < 0x80 {
		e.w.WriteByte(byte(v))
		return
	}
	n := binary.PutUvarint(e.tmp[:], v)
	e.w.Write(e.tmp[:n])
}

func (e *encoder) varint(v int64) {
	e.uvarint(uint64(v<<1) ^ uint64(v>>63))
}

func (e *encoder) str(s string) {
	e.uvarint(uint64(len(s)))
	e.w.WriteString(s)
}

// id writes the length of the prefix x shares with the previous id, then the rest of x.
func (e *encoder) id(x NodeID) {
	k := 16
	if a := binary.BigEndian.Uint64(x[:8]) ^ binary.BigEndian.Uint64(e.last[:8]); a != 0 {
		k = bits.LeadingZeros64(a) / 8
	} else if b := binary.BigEndian.Uint64(x[8:]) ^ binary.BigEndian.Uint64(e.last[8:]); b != 0 {
		k = 8 + bits.LeadingZeros64(b)/8
	}
	e.tmp[0] = byte(k)
	n := copy(e.tmp[1:], x[k:])
	e.w.Write(e.tmp[:1+n])
	e.last = x
}

func (e *encoder) data(x any) {
	switch x := x.(type) {
	case nil:
		e.byte(dataNil)
	case bool:
		if x {
			e.byte(dataTrue)
		} else {
			e.byte(dataFalse)
		}
	case int64:
		e.byte(dataInt64)
		e.varint(x)
	case int:
		e.byte(dataInt)
		e.varint(int64(x))
	case float64:
		e.byte(dataFloat64)
		binary.LittleEndian.PutUint64(e.tmp[:8], math.Float64bits(x))
		e.w.Write(e.tmp[:8])
	case string:
		e.byte(dataString)
		e.str(x)
	case json.Number:
		e.byte(dataNumber)
		e.str(string(x))
	case []any:
		if x == nil {
			e.byte(dataNilList)
			return
		}
		e.nest()
		e.byte(dataList)
		e.uvarint(uint64(len(x)))
		for _, v := range x {
			e.data(v)
		}
		e.depth--
	case map[string]any:
		if x == nil {
			e.byte(dataNilMap)
			return
		}
		e.nest()
		e.byte(dataMap)
		e.uvarint(uint64(len(x)))
		for _, k := range slices.Sorted(maps.Keys(x)) {
			e.str(k)
			e.data(x[k])
		}
		e.depth--
	default:
		e.fail("unsupported Value.Data type %T", x)
	}
}

func (e *encoder) nest() {
	if e.depth++; e.depth > snapMaxDepth {
		e.fail("Value.Data nested deeper than %d (a cycle?)", snapMaxDepth)
	}
}

func (e *encoder) kindNodes(m map[KindID][]NodeID) {
	if m == nil {
		e.uvarint(0)
		return
	}
	e.uvarint(uint64(len(m)) + 1)
	for _, k := range slices.Sorted(maps.Keys(m)) {
		ids := m[k]
		e.uvarint(uint64(k))
		e.uvarint(uint64(len(ids)))
		for _, x := range ids {
			e.id(x)
		}
	}
}

// slotPeers writes a slot → sorted peers index (nil map: 0), in slot order.
func (e *encoder) slotPeers(m map[Slot][]NodeID) {
	if m == nil {
		e.uvarint(0)
		return
	}
	e.uvarint(uint64(len(m)) + 1)
	keys := slices.SortedFunc(maps.Keys(m), Slot.compare)
	for _, k := range keys {
		slotCodec.putK(e, k)
		ids := m[k]
		e.uvarint(uint64(len(ids)))
		for _, x := range ids {
			e.id(x)
		}
	}
}

func (e *encoder) counts(m map[KindID]*counter) {
	if m == nil {
		e.uvarint(0)
		return
	}
	e.uvarint(uint64(len(m)) + 1)
	for _, k := range slices.Sorted(maps.Keys(m)) {
		e.uvarint(uint64(k))
		var c counter
		if m[k] != nil {
			c = *m[k]
		}
		e.uvarint(uint64(len(c)))
		var pos, n int64
		for _, x := range c {
			e.varint(x.pos - pos)
			e.varint(x.n - n)
			pos, n = x.pos, x.n
		}
	}
}

func (e *encoder) overlayState(o *overlayState) {
	e.str(o.name)
	e.varint(o.base)
	writeOverlay(e, slotCodec, &o.slots)
	writeOverlay(e, edgeCodec, &o.edges)
	e.slotPeers(o.peers)
	writeOverlay(e, nodeCodec, &o.nodes)
	writeOverlay(e, uniqueCodec, &o.unique)
	e.kindNodes(o.added)
	e.counts(o.counts)
}

// ---- decoder ----

type decoder struct {
	b       []byte
	off     int
	last    NodeID
	depth   int
	pending []func() // waits for work started in the background
}

// wait waits for the background work; it fails if that work found the input bad.
func (d *decoder) wait() {
	for _, f := range d.pending {
		f()
	}
	d.pending = nil
}

// decodeError carries a decoding failure out through panic; recover turns it into an error.
type decodeError struct{ msg string }

func (d *decoder) recover(err *error) {
	if r := recover(); r != nil {
		de, ok := r.(decodeError)
		if !ok {
			panic(r)
		}
		*err = fmt.Errorf("%w: %s", ErrBadSnapshot, de.msg)
	}
}

func (d *decoder) fail(format string, args ...any) {
	panic(decodeError{fmt.Sprintf("payload byte %d: ", d.off) + fmt.Sprintf(format, args...)})
}

// end checks that the whole payload was read.
func (d *decoder) end() {
	if d.off != len(d.b) {
		d.fail("%d bytes left over", len(d.b)-d.off)
	}
}

func (d *decoder) byte() byte {
	if d.off >= len(d.b) {
		d.fail("unexpected end")
	}
	b := d.b[d.off]
	d.off++
	return b
}

func (d *decoder) uvarint() uint64 {
	if d.off < len(d.b) && d.b[d.off] < 0x80 {
		v := d.b[d.off]
		d.off++
		return uint64(v)
	}
	v, n := binary.Uvarint(d.b[d.off:])
	if n <= 0 {
		d.fail("bad varint")
	}
	d.off += n
	return v
}

func (d *decoder) varint() int64 {
	u := d.uvarint()
	return int64(u>>1) ^ -int64(u&1)
}

func (d *decoder) u32() uint32 {
	v := d.uvarint()
	if v > math.MaxUint32 {
		d.fail("%d out of range", v)
	}
	return uint32(v)
}

// count reads a number of elements: each takes at least one byte, so it cannot exceed what is
// left, which keeps a forged count from allocating more than the input justifies.
func (d *decoder) count() int {
	n := d.uvarint()
	if n > uint64(len(d.b)-d.off) {
		d.fail("count %d exceeds the %d bytes left", n, len(d.b)-d.off)
	}
	return int(n)
}

// mapCount reads the length of a map written as len+1 (0 for nil).
func (d *decoder) mapCount() (int, bool) {
	n := d.count()
	if n == 0 {
		return 0, false
	}
	return n - 1, true
}

func (d *decoder) take(n int) []byte {
	if n > len(d.b)-d.off {
		d.fail("unexpected end")
	}
	b := d.b[d.off : d.off+n]
	d.off += n
	return b
}

func (d *decoder) str() string {
	return string(d.take(d.count()))
}

func (d *decoder) id() NodeID {
	k := int(d.byte())
	if k > 16 {
		d.fail("bad id prefix %d", k)
	}
	x := d.last
	copy(x[k:], d.take(16-k))
	d.last = x
	return x
}

func (d *decoder) data() any {
	switch t := d.byte(); t {
	case dataNil:
		return nil
	case dataFalse:
		return false
	case dataTrue:
		return true
	case dataInt64:
		return d.varint()
	case dataInt:
		v := d.varint()
		if int64(int(v)) != v {
			d.fail("int %d overflows", v)
		}
		return int(v)
	case dataFloat64:
		return math.Float64frombits(binary.LittleEndian.Uint64(d.take(8)))
	case dataString:
		return d.str()
	case dataNumber:
		return json.Number(d.str())
	case dataNilList:
		return []any(nil)
	case dataNilMap:
		return map[string]any(nil)
	case dataList:
		d.nest()
		l := make([]any, d.count())
		for i := range l {
			l[i] = d.data()
		}
		d.depth--
		return l
	case dataMap:
		d.nest()
		n := d.count()
		m := make(map[string]any, n)
		for range n {
			k := d.str()
			if _, dup := m[k]; dup {
				d.fail("map key %q twice", k)
			}
			m[k] = d.data()
		}
		d.depth--
		return m
	default:
		d.fail("unknown data tag %d", t)
		return nil
	}
}

func (d *decoder) nest() {
	if d.depth++; d.depth > snapMaxDepth {
		d.fail("data nested deeper than %d", snapMaxDepth)
	}
}

func (d *decoder) kindNodes() map[KindID][]NodeID {
	n, ok := d.mapCount()
	if !ok {
		return nil
	}
	m := make(map[KindID][]NodeID, n)
	for range n {
		k := KindID(d.u32())
		var ids []NodeID
		if c := d.count(); c > 0 {
			ids = make([]NodeID, c)
			for i := range ids {
				ids[i] = d.id()
			}
		}
		m[k] = ids
	}
	if len(m) != n {
		d.fail("kind twice in a list")
	}
	return m
}

func (d *decoder) slotPeers() map[Slot][]NodeID {
	n, ok := d.mapCount()
	if !ok {
		return nil
	}
	m := make(map[Slot][]NodeID, n)
	for range n {
		k := slotCodec.getK(d)
		var ids []NodeID
		if c := d.count(); c > 0 {
			ids = make([]NodeID, c)
			for i := range ids {
				ids[i] = d.id()
			}
		}
		m[k] = ids
	}
	if len(m) != n {
		d.fail("slot twice in a peer index")
	}
	return m
}

func (d *decoder) counts() map[KindID]*counter {
	n, ok := d.mapCount()
	if !ok {
		return nil
	}
	m := make(map[KindID]*counter, n)
	for range n {
		k := KindID(d.u32())
		c := &counter{}
		if l := d.count(); l > 0 {
			*c = make(counter, l)
			var pos, v int64
			for i := range *c {
				pos += d.varint()
				v += d.varint()
				(*c)[i].pos, (*c)[i].n = pos, v
			}
		}
		m[k] = c
	}
	if len(m) != n {
		d.fail("kind twice in counts")
	}
	return m
}

func (d *decoder) overlayState() *overlayState {
	o := &overlayState{name: d.str(), base: d.varint()}
	o.slots = readOverlay(d, slotCodec)
	o.edges = readOverlay(d, edgeCodec)
	o.peers = d.slotPeers()
	o.nodes = readOverlay(d, nodeCodec)
	o.unique = readOverlay(d, uniqueCodec)
	o.added = d.kindNodes()
	o.counts = d.counts()
	return o
}

// readEnvelope reads the whole input, checks header and checksum and returns the payload.
func readEnvelope(r io.Reader, kind byte) ([]byte, error) {
	var buf bytes.Buffer
	if n := sizeHint(r); n > 0 && n < 1<<40 {
		buf.Grow(int(n) + bytes.MinRead)
	}
	if _, err := buf.ReadFrom(r); err != nil {
		return nil, fmt.Errorf("graph: reading snapshot: %w", err)
	}
	b := buf.Bytes()
	if len(b) < snapHeaderMin+snapTrailer {
		return nil, fmt.Errorf("%w: truncated: %d bytes", ErrBadSnapshot, len(b))
	}
	if string(b[:len(snapMagic)]) != snapMagic {
		return nil, fmt.Errorf("%w: not a graph snapshot (magic %q)", ErrBadSnapshot, b[:len(snapMagic)])
	}
	if k := b[len(snapMagic)]; k != kind {
		return nil, fmt.Errorf("%w: snapshot of kind %q, want %q", ErrBadSnapshot, k, kind)
	}
	body := b[:len(b)-snapTrailer]
	if got, want := crc32.Checksum(body, snapCRC), binary.LittleEndian.Uint32(b[len(body):]); got != want {
		return nil, fmt.Errorf("%w: checksum mismatch (truncated or corrupted): %08x, trailer says %08x", ErrBadSnapshot, got, want)
	}
	v, n := binary.Uvarint(body[len(snapMagic)+1:])
	if n <= 0 || v != snapVersion {
		return nil, fmt.Errorf("%w: format version %d, this build reads %d", ErrBadSnapshot, v, snapVersion)
	}
	return body[len(snapMagic)+1+n:], nil
}

// sizeHint is the number of bytes r holds, when it tells (files, bytes and strings readers).
func sizeHint(r io.Reader) int64 {
	switch x := r.(type) {
	case interface{ Len() int }:
		return int64(x.Len())
	case interface{ Stat() (fs.FileInfo, error) }:
		if fi, err := x.Stat(); err == nil && fi.Mode().IsRegular() {
			if s, ok := r.(io.Seeker); ok {
				if cur, err := s.Seek(0, io.SeekCurrent); err == nil {
					return fi.Size() - cur
				}
			}
			return fi.Size()
		}
	}
	return 0
}

// ---- layers ----

// codec encodes the keys and versions of one layer kind.
type codec[K comparable, V any] struct {
	putK func(*encoder, K)
	getK func(*decoder) K
	cmpK func(K, K) int
	putV func(e *encoder, v version[V], prev int64) // prev: the position before, for a delta
	getV func(d *decoder, prev int64) version[V]
}

var slotCodec = codec[Slot, Value]{
	putK: func(e *encoder, k Slot) { e.id(k.Node); e.uvarint(uint64(k.Field)) },
	getK: func(d *decoder) Slot { n := d.id(); return Slot{n, FieldID(d.u32())} },
	cmpK: Slot.compare,
	putV: func(e *encoder, v version[Value], prev int64) {
		var f byte
		if v.deleted {
			f |= valDeleted
		}
		if v.val.Peers != nil {
			f |= valPeers
		}
		if !v.val.Lineage.Source.IsZero() {
			f |= valSource
		}
		if !v.val.Lineage.Owner.IsZero() {
			f |= valOwner
		}
		if v.val.Lineage.IsProtected {
			f |= valProtected
		}
		if v.val.Lineage.IsDefault {
			f |= valDefault
		}
		e.byte(f)
		e.varint(v.pos - prev)
		e.data(v.val.Data)
		if f&valPeers != 0 {
			e.uvarint(uint64(len(v.val.Peers)))
			for _, p := range v.val.Peers {
				e.id(p)
			}
		}
		if f&valSource != 0 {
			e.id(v.val.Lineage.Source)
		}
		if f&valOwner != 0 {
			e.id(v.val.Lineage.Owner)
		}
	},
	getV: func(d *decoder, prev int64) version[Value] {
		f := d.byte()
		if f >= valDefault<<1 {
			d.fail("bad value flags %#x", f)
		}
		v := version[Value]{deleted: f&valDeleted != 0, pos: prev + d.varint()}
		v.val.Data = d.data()
		if f&valPeers != 0 {
			v.val.Peers = make([]NodeID, d.count())
			for i := range v.val.Peers {
				v.val.Peers[i] = d.id()
			}
		}
		if f&valSource != 0 {
			v.val.Lineage.Source = d.id()
		}
		if f&valOwner != 0 {
			v.val.Lineage.Owner = d.id()
		}
		v.val.Lineage.IsProtected = f&valProtected != 0
		v.val.Lineage.IsDefault = f&valDefault != 0
		return v
	},
}

var edgeCodec = codec[edgeKey, struct{}]{
	putK: func(e *encoder, k edgeKey) { slotCodec.putK(e, k.Slot); e.id(k.Peer) },
	getK: func(d *decoder) edgeKey { sl := slotCodec.getK(d); return edgeKey{sl, d.id()} },
	cmpK: func(a, b edgeKey) int { return cmp.Or(a.Slot.compare(b.Slot), a.Peer.Compare(b.Peer)) },
	putV: func(e *encoder, v version[struct{}], prev int64) {
		d := (v.pos - prev) << 1
		if v.deleted {
			d |= 1
		}
		e.varint(d)
	},
	getV: func(d *decoder, prev int64) version[struct{}] {
		x := d.varint()
		return version[struct{}]{pos: prev + x>>1, deleted: x&1 != 0}
	},
}

var nodeCodec = codec[NodeID, KindID]{
	putK: (*encoder).id,
	getK: (*decoder).id,
	cmpK: NodeID.Compare,
	putV: func(e *encoder, v version[KindID], prev int64) {
		e.varint(v.pos - prev)
		k := uint64(v.val) << 1
		if v.deleted {
			k |= 1
		}
		e.uvarint(k)
	},
	getV: func(d *decoder, prev int64) version[KindID] {
		pos := prev + d.varint()
		k := d.uvarint()
		if k>>1 > math.MaxUint32 {
			d.fail("kind %d out of range", k>>1)
		}
		return version[KindID]{pos: pos, val: KindID(k >> 1), deleted: k&1 != 0}
	},
}

var uniqueCodec = codec[uniqueKey, NodeID]{
	putK: func(e *encoder, k uniqueKey) {
		e.uvarint(uint64(k.kind))
		e.uvarint(uint64(k.constraint))
		e.str(k.key)
	},
	getK: func(d *decoder) uniqueKey {
		k := KindID(d.u32())
		c := ConstraintID(d.u32())
		return uniqueKey{k, c, d.str()}
	},
	cmpK: func(a, b uniqueKey) int {
		return cmp.Or(cmp.Compare(a.kind, b.kind), cmp.Compare(a.constraint, b.constraint), cmp.Compare(a.key, b.key))
	},
	putV: func(e *encoder, v version[NodeID], prev int64) {
		e.varint(v.pos - prev)
		var f byte
		if v.deleted {
			f |= 1
		}
		if !v.val.IsZero() {
			f |= 2
		}
		e.byte(f)
		if f&2 != 0 {
			e.id(v.val)
		}
	},
	getV: func(d *decoder, prev int64) version[NodeID] {
		v := version[NodeID]{pos: prev + d.varint()}
		f := d.byte()
		if f > 3 {
			d.fail("bad unique flags %#x", f)
		}
		v.deleted = f&1 != 0
		if f&2 != 0 {
			v.val = d.id()
		}
		return v
	},
}

// writeMain writes the heads in their order, each with its key (the index maps the keys onto
// 0..len(heads)-1, one to one), then the history chains by head number.
func writeMain[K comparable, V any](e *encoder, c codec[K, V], l *mainLayer[K, V]) {
	n := len(l.heads)
	if len(l.index) != n {
		e.fail("internal: %d keys for %d heads", len(l.index), n)
	}
	keys := make([]K, n)
	for k, i := range l.index {
		if int(i) >= n {
			e.fail("internal: head %d of %d", i, n)
		}
		keys[i] = k
	}
	e.uvarint(uint64(n))
	for i, k := range keys {
		c.putK(e, k)
		c.putV(e, l.heads[i], 0)
	}
	hist := slices.Sorted(maps.Keys(l.hist))
	e.uvarint(uint64(len(hist)))
	var prev uint32
	for _, i := range hist {
		e.uvarint(uint64(i - prev))
		prev = i
		writeChain(e, c, l.hist[i])
	}
}

func readMain[K comparable, V any](d *decoder, c codec[K, V]) mainLayer[K, V] {
	n := d.count()
	l := mainLayer[K, V]{index: make(map[K]uint32, n)}
	if n > 0 {
		l.heads = make([]version[V], n)
	}
	if n >= parallelIndex {
		readHeadsParallel(d, c, &l)
	} else {
		for i := range l.heads {
			l.index[c.getK(d)] = uint32(i)
			if len(l.index) != i+1 {
				d.fail("key twice in a layer")
			}
			l.heads[i] = c.getV(d, 0)
		}
	}
	h := d.count()
	l.hist = make(map[uint32][]version[V], h)
	var i uint64
	for j := range h {
		delta := d.uvarint()
		if j > 0 && delta == 0 {
			d.fail("history of head %d twice", i)
		}
		if i += delta; i >= uint64(n) {
			d.fail("history of head %d of %d", i, n)
		}
		l.hist[uint32(i)] = readChain(d, c)
	}
	return l
}

// parallelIndex is the number of heads from which a layer's index is built by a goroutine of its
// own: on a big layer, inserting into the map (a cache miss or two per key) costs as much as
// decoding, so the two overlap, and the index keeps filling while later sections decode.
var parallelIndex = 1 << 15 // a variable for the tests

// readHeadsParallel decodes the heads and hands their keys, in batches, to a goroutine that fills
// the index. It registers a wait in d.pending, which fails on a duplicate key.
func readHeadsParallel[K comparable, V any](d *decoder, c codec[K, V], l *mainLayer[K, V]) {
	const batch = 8192
	keys := make(chan []K, 8)
	free := make(chan []K, 8)
	done := make(chan bool, 1) // buffered: the goroutine ends even if nobody waits (a failed read)
	index := l.index
	go func() {
		i := 0
		for b := range keys {
			for _, k := range b {
				index[k] = uint32(i)
				i++
			}
			select {
			case free <- b[:0]:
			default:
			}
		}
		done <- len(index) == i // fewer entries than keys: a key came twice
	}()
	func() {
		defer close(keys) // also when decoding fails
		b := make([]K, 0, batch)
		for i := range l.heads {
			b = append(b, c.getK(d))
			l.heads[i] = c.getV(d, 0)
			if len(b) == batch {
				keys <- b
				select {
				case b = <-free:
				default:
					b = make([]K, 0, batch)
				}
			}
		}
		if len(b) > 0 {
			keys <- b
		}
	}()
	d.pending = append(d.pending, func() {
		if !<-done {
			d.fail("key twice in a layer")
		}
	})
}

func writeChain[K comparable, V any](e *encoder, c codec[K, V], ch []version[V]) {
	e.uvarint(uint64(len(ch)))
	var prev int64
	for _, v := range ch {
		c.putV(e, v, prev)
		prev = v.pos
	}
}

func readChain[K comparable, V any](d *decoder, c codec[K, V]) []version[V] {
	n := d.count()
	if n == 0 {
		return nil
	}
	ch := make([]version[V], n)
	var prev int64
	for i := range ch {
		ch[i] = c.getV(d, prev)
		prev = ch[i].pos
	}
	return ch
}

func writeOverlay[K comparable, V any](e *encoder, c codec[K, V], o *overlay[K, V]) {
	if o.m == nil {
		e.uvarint(0)
		return
	}
	e.uvarint(uint64(len(o.m)) + 1)
	for _, k := range slices.SortedFunc(maps.Keys(o.m), c.cmpK) {
		c.putK(e, k)
		writeChain(e, c, o.m[k])
	}
}

func readOverlay[K comparable, V any](d *decoder, c codec[K, V]) overlay[K, V] {
	n, ok := d.mapCount()
	if !ok {
		return overlay[K, V]{}
	}
	m := make(map[K][]version[V], n)
	for range n {
		k := c.getK(d)
		m[k] = readChain(d, c)
	}
	if len(m) != n {
		d.fail("key twice in an overlay")
	}
	return overlay[K, V]{m: m}
}
