package graph

import (
	"encoding/binary"
	"math"
	"slices"
	"unsafe"
)

// Reading records (record.go): the reader of a record's entries, and the checker of the records
// a snapshot holds.

// recordOf is the record starting at p (nil: none), prefix included.
func recordOf(p *byte) []byte {
	if p == nil {
		return nil
	}
	var size uint64
	n := 0
	for shift := 0; ; shift += 7 {
		b := *(*byte)(unsafe.Add(unsafe.Pointer(p), n))
		n++
		size |= uint64(b&0x7f) << shift
		if b < 0x80 {
			break
		}
	}
	return unsafe.Slice(p, n+int(size))
}

// recReader reads the entries of a record's body in order. A record that does not parse (only
// possible for one read from a snapshot, which recChecker refuses) sets bad and ends.
type recReader struct {
	b        []byte
	off      int
	shape    string // the heads of the entries, when the record refers to its shape
	shapeNum int
	soff     int
	shaped   bool
	pos      int64
	bad      bool
}

// newRecReader reads the record rec (prefix included), whose shape is one of sh.
func newRecReader(rec []byte, sh *shapes) recReader {
	r := recReader{b: rec}
	if size := r.uvarint(); r.bad || size != uint64(len(rec)-r.off) {
		return recReader{bad: true}
	}
	if k := r.uvarint(); r.bad || k > 0 && (sh == nil || k > uint64(len(sh.list))) {
		return recReader{bad: true}
	} else if k > 0 {
		r.shape, r.shaped, r.shapeNum = sh.list[k-1], true, int(k-1)
	}
	return r
}

// empty reports whether the record holds no entry.
func (r *recReader) empty() bool {
	if r.shaped {
		return len(r.shape) == 0
	}
	return r.off >= len(r.b)
}

func (r *recReader) uvarint() uint64 {
	if r.off < len(r.b) && r.b[r.off] < 0x80 {
		v := r.b[r.off]
		r.off++
		return uint64(v)
	}
	v, n := binary.Uvarint(r.b[min(r.off, len(r.b)):])
	if n <= 0 {
		r.fail()
		return 0
	}
	r.off += n
	return v
}

func (r *recReader) varint() int64 {
	u := r.uvarint()
	return int64(u>>1) ^ -int64(u&1)
}

func (r *recReader) fail() {
	r.bad, r.off, r.soff = true, len(r.b), len(r.shape)
}

// head reads the field and tag of the next entry, from the shape or the body.
func (r *recReader) head() (uint64, byte) {
	if !r.shaped {
		f := r.uvarint()
		if r.off >= len(r.b) {
			r.fail()
			return 0, 0
		}
		r.off++
		return f, r.b[r.off-1]
	}
	var f uint64
	for shift := 0; ; shift += 7 {
		if r.soff >= len(r.shape) || shift > 28 {
			r.fail()
			return 0, 0
		}
		b := r.shape[r.soff]
		r.soff++
		f |= uint64(b&0x7f) << shift
		if b < 0x80 {
			break
		}
	}
	if r.soff >= len(r.shape) {
		r.fail()
		return 0, 0
	}
	r.soff++
	return f, r.shape[r.soff-1]
}

// next reads the next entry into e; false at the end (or on a bad record). Its data is the
// record's: a same entry has kind rkSame and the entry it repeats in aux, a boxed one its index
// in aux, a stamp at its position atPos set.
func (r *recReader) next(e *entry) bool {
	if r.shaped && r.soff >= len(r.shape) || !r.shaped && r.off >= len(r.b) {
		return false
	}
	f, tag := r.head()
	if r.bad || f > math.MaxUint32 {
		r.fail()
		return false
	}
	if tag&tagPos != 0 {
		r.pos += r.varint()
	}
	e.field, e.pos, e.lin = FieldID(f), r.pos, 0
	if tag&tagLin != 0 {
		l := r.uvarint()
		if l == 0 || l >= headDeleted {
			r.fail()
			return false
		}
		e.lin = uint32(l)
	}
	if tag&tagDeleted != 0 {
		e.lin |= headDeleted
	}
	e.d = datum{kind: tag & tagKind}
	if tag >= tagPos<<1 || !r.payload(&e.d) {
		r.fail()
		return false
	}
	return !r.bad
}

// payload reads the payload of d.kind into d.
func (r *recReader) payload(d *datum) bool {
	switch d.kind {
	case rkNil, rkFalse, rkTrue:
	case rkInt64, rkInt:
		d.x = uint64(r.varint())
	case rkFloat:
		if len(r.b)-r.off < 8 {
			return false
		}
		d.x = binary.LittleEndian.Uint64(r.b[r.off:])
		r.off += 8
	case rkFloatInt:
		v := r.varint()
		if v >= 1<<53 || v <= -1<<53 {
			return false
		}
		d.kind, d.x = rkFloat, math.Float64bits(float64(v))
	case rkString, rkNumber:
		n := r.uvarint()
		if n > uint64(len(r.b)-r.off) {
			return false
		}
		if n > 0 {
			d.s = unsafe.String(&r.b[r.off], int(n))
		}
		r.off += int(n)
	case rkStamp, rkStampAt:
		if d.kind == rkStampAt {
			d.kind, d.atPos = rkStamp, true
		} else {
			d.x = uint64(r.varint())
		}
		a := r.uvarint()
		if a > math.MaxUint32 {
			return false
		}
		d.aux = uint32(a)
	case rkBoxed, rkSame:
		i := r.uvarint()
		if i > math.MaxUint32 {
			return false
		}
		d.aux = uint32(i)
	case rkShared:
		i := r.uvarint()
		if i >= math.MaxUint32 {
			return false
		}
		d.kind, d.aux = rkString, uint32(i+1)
	default:
		return false
	}
	return true
}

// done reports whether the whole record was read and parsed.
func (r *recReader) done() bool {
	return !r.bad && r.off == len(r.b) && r.soff == len(r.shape)
}

// recChecker checks the records a snapshot holds, so that no read meets one that does not
// parse or refers to nothing.
type recChecker struct {
	fields   []FieldID
	distinct []bool // by shape number: its fields were found distinct
	why      string
}

// check checks record rec against a layer of nlins lineages, nactors actors, nshared shared
// strings and shapes sh, and returns the number of its boxed values.
func (c *recChecker) check(rec []byte, nlins, nactors, nshared int, sh *shapes) (nbox int, ok bool) {
	r := newRecReader(rec, sh)
	if r.bad || r.empty() {
		c.why = "no entry or no shape"
		return 0, false
	}
	c.fields, c.why = c.fields[:0], ""
	// the fields of a shape checked before are distinct
	known := r.shaped && r.shapeNum < len(c.distinct) && c.distinct[r.shapeNum]
	var e entry
	for n := 0; c.why == "" && r.next(&e); n++ {
		switch k := e.d.kind; {
		case int(e.lin&^headDeleted) >= nlins:
			c.why = "unknown lineage"
		case k == rkStamp && int(e.d.aux) >= nactors:
			c.why = "unknown actor"
		case k == rkString && int(e.d.aux) > nshared:
			c.why = "unknown shared string"
		case k == rkBoxed && int(e.d.aux) != nbox:
			c.why = "boxed values out of order"
		case k == rkSame && int(e.d.aux) >= n:
			c.why = "repeats no earlier entry"
		case k == rkInt && int64(int(int64(e.d.x))) != int64(e.d.x):
			c.why = "int overflows"
		}
		if e.d.kind == rkBoxed {
			nbox++
		}
		if !known {
			c.fields = append(c.fields, e.field)
		}
	}
	switch {
	case c.why != "":
	case !r.done():
		c.why = "does not parse"
	case !known && !distinct(c.fields):
		c.why = "slot twice"
	case r.shaped:
		for len(c.distinct) <= r.shapeNum {
			c.distinct = append(c.distinct, false)
		}
		c.distinct[r.shapeNum] = true
	}
	return nbox, c.why == ""
}

// distinct reports whether fs holds no field twice (it may reorder fs).
func distinct(fs []FieldID) bool {
	if len(fs) > 32 {
		slices.Sort(fs)
		for i := 1; i < len(fs); i++ {
			if fs[i] == fs[i-1] {
				return false
			}
		}
		return true
	}
	for i := range fs {
		if slices.Contains(fs[:i], fs[i]) {
			return false
		}
	}
	return true
}
