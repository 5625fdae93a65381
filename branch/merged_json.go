package branch

import (
	"encoding/json"
	"errors"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// A branch.merged event holds every change of a merge (tens of thousands for a large branch),
// and it is decoded where it is folded (the branch state and the node graph) and at every
// replay. encoding/json checks the whole payload, then decodes each change by reflection;
// DecodePayload reads the form encoding/json writes (the json tags of Change as they are,
// no key twice, no null but for the whole list, values that are strings, numbers, booleans or
// nulls, an array or object given to encoding/json) directly, and leaves anything else to
// encoding/json, so that the result, and the error, is always encoding/json's.

// errNotPlain stops the direct reading of a payload it does not take: encoding/json reads it.
var errNotPlain = errors.New("not a plain merged payload")

// DecodePayload implements events.PayloadDecoder (see above): what json.Unmarshal(raw, m)
// gives.
func (m *Merged) DecodePayload(raw []byte) error {
	var out Merged
	if err := (&plainReader{b: raw}).merged(&out); err == nil {
		*m = out
		return nil
	}
	var std Merged
	if err := json.Unmarshal(raw, &std); err != nil {
		return err
	}
	*m = std
	return nil
}

// plainReader reads JSON as encoding/json writes a Merged; any other input is errNotPlain.
type plainReader struct {
	b   []byte
	off int
	buf []byte // scratch of escaped strings
}

func (r *plainReader) space() {
	for r.off < len(r.b) {
		switch r.b[r.off] {
		case ' ', '\t', '\n', '\r':
			r.off++
		default:
			return
		}
	}
}

// byte consumes c (after spaces), or fails.
func (r *plainReader) byte(c byte) error {
	r.space()
	if r.off >= len(r.b) || r.b[r.off] != c {
		return errNotPlain
	}
	r.off++
	return nil
}

// peek is the next byte after spaces (0 at the end).
func (r *plainReader) peek() byte {
	r.space()
	if r.off >= len(r.b) {
		return 0
	}
	return r.b[r.off]
}

// object reads an object, calling field for each key with the reader on its value.
func (r *plainReader) object(field func(key string) error) error {
	if err := r.byte('{'); err != nil {
		return err
	}
	if r.peek() == '}' {
		r.off++
		return nil
	}
	for {
		key, err := r.string()
		if err != nil {
			return err
		}
		if err := r.byte(':'); err != nil {
			return err
		}
		if err := field(key); err != nil {
			return err
		}
		switch r.peek() {
		case ',':
			r.off++
		case '}':
			r.off++
			return nil
		default:
			return errNotPlain
		}
	}
}

func (r *plainReader) merged(m *Merged) error {
	seenName, seenChanges := false, false
	err := r.object(func(key string) error {
		switch {
		case key == "name" && !seenName: // a key given twice: encoding/json's rules
			seenName = true
			s, err := r.string()
			m.Name = s
			return err
		case key == "changes" && !seenChanges:
			seenChanges = true
			return r.changes(m)
		}
		return errNotPlain
	})
	if err != nil {
		return err
	}
	if r.space(); r.off != len(r.b) {
		return errNotPlain
	}
	if !seenChanges {
		m.Changes = nil
	}
	return nil
}

func (r *plainReader) changes(m *Merged) error {
	if r.peek() == 'n' && r.lit("null") { // a merge of nothing
		m.Changes = nil
		return nil
	}
	if err := r.byte('['); err != nil {
		return err
	}
	m.Changes = []Change{}
	if r.peek() == ']' {
		r.off++
		return nil
	}
	for {
		var c Change
		var seen uint16
		if err := r.object(func(key string) error { return r.changeField(&c, key, &seen) }); err != nil {
			return err
		}
		m.Changes = append(m.Changes, c)
		switch r.peek() {
		case ',':
			r.off++
		case ']':
			r.off++
			return nil
		default:
			return errNotPlain
		}
	}
}

// changeField reads the value of key into c; seen marks the keys read (a key given twice is
// left to encoding/json).
func (r *plainReader) changeField(c *Change, key string, seen *uint16) error {
	bit := uint16(1) << changeKeyBit(key)
	if *seen&bit != 0 {
		return errNotPlain
	}
	*seen |= bit
	var s *string
	switch key {
	case "op":
		s = &c.Op
	case "node":
		s = &c.Node
	case "kind":
		s = &c.Kind
	case "field":
		s = &c.Field
	case "source":
		s = &c.Source
	case "owner":
		s = &c.Owner
	case "peer":
		s = &c.Peer
	case "constraint":
		s = &c.Constraint
	case "key":
		s = &c.Key
	case "is_protected":
		return r.bool(&c.IsProtected)
	case "is_default":
		return r.bool(&c.IsDefault)
	case "value":
		v, err := r.value()
		c.Value = v
		return err
	default:
		return errNotPlain
	}
	v, err := r.string()
	*s = v
	return err
}

func (r *plainReader) bool(b *bool) error {
	r.space()
	switch {
	case r.lit("true"):
		*b = true
	case r.lit("false"):
		*b = false
	default:
		return errNotPlain
	}
	return nil
}

// lit consumes the literal word.
func (r *plainReader) lit(word string) bool {
	if len(r.b)-r.off >= len(word) && string(r.b[r.off:r.off+len(word)]) == word {
		r.off += len(word)
		return true
	}
	return false
}

// value reads a value as encoding/json reads it into an interface{}.
func (r *plainReader) value() (any, error) {
	switch c := r.peek(); {
	case c == '"':
		return r.string()
	case c == '-' || c >= '0' && c <= '9':
		return r.number()
	case c == 't' || c == 'f':
		var b bool
		err := r.bool(&b)
		return b, err
	case c == 'n':
		if r.lit("null") {
			return nil, nil
		}
		return nil, errNotPlain
	case c == '[' || c == '{':
		start := r.off
		if err := r.skip(); err != nil {
			return nil, err
		}
		var v any
		if err := json.Unmarshal(r.b[start:r.off], &v); err != nil {
			return nil, errNotPlain
		}
		return v, nil
	}
	return nil, errNotPlain
}

// skip consumes an array or object, nested values and strings included.
func (r *plainReader) skip() error {
	depth := 0
	for r.off < len(r.b) {
		switch r.b[r.off] {
		case '"':
			if _, err := r.string(); err != nil {
				return err
			}
			continue
		case '[', '{':
			depth++
		case ']', '}':
			depth--
			if depth == 0 {
				r.off++
				return nil
			}
		}
		r.off++
	}
	return errNotPlain
}

// number reads a JSON number as a float64 (what encoding/json gives an interface{}).
func (r *plainReader) number() (any, error) {
	start := r.off
	b := r.b
	i := r.off
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	default:
		return nil, errNotPlain
	}
	if i < len(b) && b[i] == '.' {
		i++
		d := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == d {
			return nil, errNotPlain
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		d := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == d {
			return nil, errNotPlain
		}
	}
	f, err := strconv.ParseFloat(string(b[start:i]), 64)
	if err != nil {
		return nil, errNotPlain
	}
	r.off = i
	return f, nil
}

// string reads a JSON string: printable ASCII as is, the escapes JSON defines, and any other
// byte (UTF-8) as encoding/json reads it.
func (r *plainReader) string() (string, error) {
	if err := r.byte('"'); err != nil {
		return "", err
	}
	b := r.b
	start := r.off
	i := start
	for i < len(b) && b[i] != '"' && b[i] != '\\' && b[i] >= 0x20 && b[i] < utf8.RuneSelf {
		i++
	}
	if i < len(b) && b[i] == '"' {
		r.off = i + 1
		return string(b[start:i]), nil
	}
	buf := append(r.buf[:0], b[start:i]...)
	for i < len(b) {
		c := b[i]
		switch {
		case c == '"':
			r.off, r.buf = i+1, buf
			return string(buf), nil
		case c < 0x20:
			return "", errNotPlain
		case c >= utf8.RuneSelf:
			rn, size := utf8.DecodeRune(b[i:])
			buf = utf8.AppendRune(buf, rn) // invalid UTF-8 is U+FFFD, as encoding/json reads it
			i += size
			continue
		case c != '\\':
			buf = append(buf, c)
			i++
			continue
		}
		if i+1 >= len(b) {
			return "", errNotPlain
		}
		switch e := b[i+1]; e {
		case '"', '\\', '/':
			buf = append(buf, e)
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			rn, ok := hex4(b[i+2:])
			if !ok {
				return "", errNotPlain
			}
			i += 6
			if utf16.IsSurrogate(rn) {
				rn2, ok := rune(-1), false
				if i+1 < len(b) && b[i] == '\\' && b[i+1] == 'u' {
					rn2, ok = hex4(b[i+2:])
				}
				if dec := utf16.DecodeRune(rn, rn2); ok && dec != utf8.RuneError {
					rn = dec
					i += 6
				} else {
					rn = utf8.RuneError
				}
			}
			buf = utf8.AppendRune(buf, rn)
			continue
		default:
			return "", errNotPlain
		}
		i += 2
	}
	return "", errNotPlain
}

// hex4 reads the 4 hex digits of a \u escape.
func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r*16 + rune(c)
	}
	return r, true
}

// changeKeyBit numbers the keys of a Change (15: any other, refused by changeField).
func changeKeyBit(key string) int {
	switch key {
	case "op":
		return 0
	case "node":
		return 1
	case "kind":
		return 2
	case "field":
		return 3
	case "source":
		return 4
	case "owner":
		return 5
	case "peer":
		return 6
	case "constraint":
		return 7
	case "key":
		return 8
	case "is_protected":
		return 9
	case "is_default":
		return 10
	case "value":
		return 11
	}
	return 15
}
