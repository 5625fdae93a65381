package commands

import (
	"bytes"
	"unicode/utf8"
)

// The JSON scanning of the batch's own reader (decodeBatch, decodeCreate): it finds where values
// end, without decoding them.

// arrayElements calls f with each raw element of the JSON list b, in order, until f answers
// false; it answers false when b is not a list or f said so. The elements are not checked.
func arrayElements(b []byte, f func(el []byte) bool) bool {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '[' {
		return false
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == ']' {
		return skipSpace(b, i+1) == len(b)
	}
	for {
		stop := skipValue(b, i)
		if stop < 0 || !f(b[i:stop]) {
			return false
		}
		next, done := afterValue(b, stop, ']')
		if next < 0 || done {
			return done
		}
		i = next
	}
}

// objectFields calls f with each key and raw value of the JSON object b, in order, until f
// answers false; it answers false when b is not an object, a key holds an escape, or f said
// so. The values are not checked (b must be valid JSON).
func objectFields(b []byte, f func(key string, val []byte) bool) bool {
	return objectFieldsIn(b, nil, f)
}

// objectFieldsIn is objectFields with the keys other than the batch's and node.create's own
// taken from names (nil: made for each).
func objectFieldsIn(b []byte, names strCache, f func(key string, val []byte) bool) bool {
	end := objectScan(b, skipSpace(b, 0), names, func(key string, start int) int {
		stop := skipValue(b, start)
		if stop < 0 || !f(key, b[start:stop]) {
			return -1
		}
		return stop
	})
	return end >= 0 && skipSpace(b, end) == len(b)
}

// objectScan reads the JSON object starting at b[i]: for each key, in order, it calls f with the
// key and where its value starts (after white space); f answers where the value ends, or -1 to
// stop. objectScan answers the index after the object's closing brace, or -1 when b holds no
// object there, a key holds an escape, or f stopped. The keys other than the batch's and
// node.create's own are taken from names (nil: made for each).
func objectScan(b []byte, i int, names strCache, f func(key string, start int) int) int {
	if i >= len(b) || b[i] != '{' {
		return -1
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return i + 1
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return -1
		}
		end := i + 1
		for end < len(b) && b[end] != '"' {
			if b[end] == '\\' || b[end] < 0x20 {
				return -1
			}
			end++
		}
		if end >= len(b) || !utf8.Valid(b[i+1:end]) {
			return -1
		}
		key := keyString(b[i+1:end], names)
		i = skipSpace(b, end+1)
		if i >= len(b) || b[i] != ':' {
			return -1
		}
		stop := f(key, skipSpace(b, i+1))
		if stop < 0 {
			return -1
		}
		i = skipSpace(b, stop)
		switch {
		case i >= len(b):
			return -1
		case b[i] == '}':
			return i + 1
		case b[i] != ',':
			return -1
		}
		i = skipSpace(b, i+1)
	}
}

// afterValue reads what follows a value of a list or object ending at b[stop]: a comma (next is
// where the following value starts) or the closing bracket, which must end b (done). next is -1
// for anything else, and when the closing bracket does not end b (done is then false).
func afterValue(b []byte, stop int, closing byte) (next int, done bool) {
	i := skipSpace(b, stop)
	switch {
	case i >= len(b):
		return -1, false
	case b[i] == ',':
		return skipSpace(b, i+1), false
	case b[i] == closing && skipSpace(b, i+1) == len(b):
		return len(b), true
	}
	return -1, false
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipValue returns the index after the JSON value starting at b[i], or -1.
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			c := b[i]
			if !structural[c] {
				i++
				continue
			}
			switch c {
			case '"':
				if i = skipString(b, i); i < 0 {
					return -1
				}
				continue
			case '{', '[':
				depth++
			default: // '}', ']'
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return -1
	}
	start := i
	for i < len(b) {
		switch b[i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			if i == start {
				return -1
			}
			return i
		}
		i++
	}
	if i == start {
		return -1
	}
	return i
}

// structural marks the bytes skipValue looks at inside a list or object.
var structural = [256]bool{'"': true, '{': true, '[': true, '}': true, ']': true}

// skipString returns the index after the JSON string starting at b[i], or -1. It looks for
// the next quote (bytes.IndexByte) and takes it as the end unless an odd run of backslashes
// precedes it.
func skipString(b []byte, i int) int {
	from := i + 1 // after the opening quote, or after an escaped quote: no escape runs over it
	for {
		q := bytes.IndexByte(b[from:], '"')
		if q < 0 {
			return -1
		}
		end := from + q
		k := end
		for k > from && b[k-1] == '\\' {
			k--
		}
		if (end-k)%2 == 0 {
			return end + 1
		}
		from = end + 1
	}
}
