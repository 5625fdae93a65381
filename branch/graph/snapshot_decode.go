package graph

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"math"
	"unsafe"
)

// The decoder of snapshots: the reverse of the encoder, failing with ErrBadSnapshot on bad input.

// ---- decoder ----

type decoder struct {
	b       []byte
	strs    []byte // the block short strings are copied into
	off     int
	last    NodeID
	depth   int
	pending []func()          // waits for work started in the background
	actors  map[string]string // Stamp.By, interned: few actors write many nodes
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
	b := d.take(d.count())
	if len(b) == 0 || len(b) > strChunk/16 {
		return string(b)
	}
	if len(d.strs)+len(b) > cap(d.strs) {
		d.strs = make([]byte, 0, strChunk)
	}
	off := len(d.strs)
	d.strs = append(d.strs, b...)
	return unsafe.String(&d.strs[off], len(b))
}

// strChunk sizes the blocks the decoder copies short strings into: one allocation for many
// strings (a snapshot holds millions), at the price of a block staying alive as long as one of
// its strings does (bounded by the strings the snapshot held). Bytes of a block are never written
// again once a string refers to them.
const strChunk = 16 << 10

// id reads an id written as the length k of the prefix it shares with the last one, then its
// other 16-k bytes. Away from the ends of the input it loads the 16 bytes that end where the id
// does and keeps the last id's first k bytes in place of the first k of them, in two words and
// without a copy of variable length (the few million ids of a snapshot are most of its reading).
func (d *decoder) id() NodeID {
	k := int(d.byte())
	if k > 16 {
		d.fail("bad id prefix %d", k)
	}
	if start, end := d.off-k, d.off+16-k; start >= 0 && end <= len(d.b) {
		w := d.b[start:end] // the 16 bytes ending where the id does: the first k are not the id's
		lo, hi := binary.LittleEndian.Uint64(w[:8]), binary.LittleEndian.Uint64(w[8:16])
		// masks of the bytes kept from the last id (byte i of a word is at bits 8i)
		keepLo := uint64(1)<<(8*min(k, 8)) - 1
		keepHi := uint64(1)<<(8*max(k-8, 0)) - 1
		lo = lo&^keepLo | binary.LittleEndian.Uint64(d.last[:8])&keepLo
		hi = hi&^keepHi | binary.LittleEndian.Uint64(d.last[8:])&keepHi
		binary.LittleEndian.PutUint64(d.last[:8], lo)
		binary.LittleEndian.PutUint64(d.last[8:], hi)
		d.off = end
		return d.last
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
	case dataStamp:
		at := d.varint()
		return Stamp{At: at, By: d.actor()}
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
	payload, sum, err := checkEnvelope(buf.Bytes(), kind)
	if err != nil {
		return nil, err
	}
	return payload, sum()
}

// checkEnvelope checks the header of a whole snapshot and returns its payload, and sum, which
// checks its checksum (a big snapshot's payload decodes while the sum is computed: the decoder
// fails cleanly on any input, and a checksum that does not match is the error reported).
func checkEnvelope(b []byte, kind byte) (payload []byte, sum func() error, err error) {
	if len(b) < snapHeaderMin+snapTrailer {
		return nil, nil, fmt.Errorf("%w: truncated: %d bytes", ErrBadSnapshot, len(b))
	}
	if string(b[:len(snapMagic)]) != snapMagic {
		return nil, nil, fmt.Errorf("%w: not a graph snapshot (magic %q)", ErrBadSnapshot, b[:len(snapMagic)])
	}
	if k := b[len(snapMagic)]; k != kind {
		return nil, nil, fmt.Errorf("%w: snapshot of kind %q, want %q", ErrBadSnapshot, k, kind)
	}
	body := b[:len(b)-snapTrailer]
	sum = func() error {
		if got, want := crc32.Checksum(body, snapCRC), binary.LittleEndian.Uint32(b[len(body):]); got != want {
			return fmt.Errorf("%w: checksum mismatch (truncated or corrupted): %08x, trailer says %08x", ErrBadSnapshot, got, want)
		}
		return nil
	}
	v, n := binary.Uvarint(body[len(snapMagic)+1:])
	if n <= 0 || v != snapVersion {
		if err := sum(); err != nil {
			return nil, nil, err
		}
		return nil, nil, fmt.Errorf("%w: format version %d, this build reads %d", ErrBadSnapshot, v, snapVersion)
	}
	return body[len(snapMagic)+1+n:], sum, nil
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

// actor reads a Stamp's By, interned.
func (d *decoder) actor() string {
	b := d.take(d.count())
	if s, ok := d.actors[string(b)]; ok {
		return s
	}
	if d.actors == nil {
		d.actors = map[string]string{}
	}
	by := string(b)
	d.actors[by] = by
	return by
}
