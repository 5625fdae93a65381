package graphql

import (
	"encoding/json"
	"strconv"
	"time"
	"unicode/utf8"
)

// jsonWriter writes a response in selection order without building a tree of maps first.
type jsonWriter struct {
	buf   []byte
	comma []bool // per open object or array: a value was written, the next needs a comma
}

func (w *jsonWriter) bytes() []byte { return w.buf }

func (w *jsonWriter) sep() {
	if n := len(w.comma); n > 0 {
		if w.comma[n-1] {
			w.buf = append(w.buf, ',')
		}
		w.comma[n-1] = true
	}
}

func (w *jsonWriter) beginObject() {
	w.sep()
	w.buf = append(w.buf, '{')
	w.comma = append(w.comma, false)
}
func (w *jsonWriter) endObject() { w.buf = append(w.buf, '}'); w.comma = w.comma[:len(w.comma)-1] }
func (w *jsonWriter) beginArray() {
	w.sep()
	w.buf = append(w.buf, '[')
	w.comma = append(w.comma, false)
}
func (w *jsonWriter) endArray() { w.buf = append(w.buf, ']'); w.comma = w.comma[:len(w.comma)-1] }

// key writes an object key; the value that follows must not write a separator.
func (w *jsonWriter) key(k string) {
	w.sep()
	w.buf = appendString(w.buf, k)
	w.buf = append(w.buf, ':')
	w.comma = append(w.comma, false) // the value's own slot
}

// valueDone closes the slot key opened.
func (w *jsonWriter) valueDone() { w.comma = w.comma[:len(w.comma)-1] }

// field writes key and a scalar value.
func (w *jsonWriter) field(k string, v any) {
	w.key(k)
	w.value(v)
	w.valueDone()
}

func (w *jsonWriter) null() { w.sep(); w.buf = append(w.buf, "null"...) }

// value writes a scalar, a list or a map of JSON-able values.
func (w *jsonWriter) value(v any) {
	switch x := v.(type) {
	case nil:
		w.null()
	case string:
		w.sep()
		w.buf = appendString(w.buf, x)
	case bool:
		w.sep()
		w.buf = strconv.AppendBool(w.buf, x)
	case int:
		w.sep()
		w.buf = strconv.AppendInt(w.buf, int64(x), 10)
	case int64:
		w.sep()
		w.buf = strconv.AppendInt(w.buf, x, 10)
	case float64:
		w.sep()
		if x == float64(int64(x)) && x < 1e15 && x > -1e15 {
			w.buf = strconv.AppendInt(w.buf, int64(x), 10)
		} else {
			w.buf = strconv.AppendFloat(w.buf, x, 'g', -1, 64)
		}
	case time.Time:
		if x.IsZero() {
			w.null()
			return
		}
		w.sep()
		w.buf = appendString(w.buf, x.UTC().Format(time.RFC3339Nano))
	case []string:
		w.beginArray()
		for _, s := range x {
			w.value(s)
		}
		w.endArray()
	default:
		raw, err := json.Marshal(x)
		if err != nil {
			w.null()
			return
		}
		w.sep()
		w.buf = append(w.buf, raw...)
	}
}

const hex = "0123456789abcdef"

// appendString appends s as a JSON string.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
