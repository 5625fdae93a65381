package nodetx

import (
	"bytes"
	"strconv"
	"unicode/utf8"

	"github.com/infrahub-go/infrahub/schema"
)

// scalar reads a JSON string without escapes, a number, true, false or null as json.Unmarshal
// into an any does; ok is false for anything else (objects, lists, escaped strings, invalid
// JSON), which the caller hands to json.Unmarshal. Most attribute values of a command are such
// scalars: this spares the reflection of a full decode for each.
func scalar(raw []byte) (v any, ok bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil, false
	}
	switch c := raw[0]; {
	case c == '"':
		s, ok := plainString(raw)
		return s, ok
	case c == '-' || c >= '0' && c <= '9':
		if !isNumber(raw) {
			return nil, false
		}
		f, err := strconv.ParseFloat(string(raw), 64)
		return f, err == nil
	}
	switch string(raw) {
	case "true":
		return true, true
	case "false":
		return false, true
	case "null":
		return nil, true
	}
	return nil, false
}

// plainString reads a quoted JSON string that needs no unescaping: no backslash, no control
// byte, valid UTF-8 (json.Unmarshal would replace invalid bytes).
func plainString(raw []byte) (string, bool) {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return "", false
	}
	body := raw[1 : len(raw)-1]
	for _, c := range body {
		if c == '"' || c == '\\' || c < 0x20 {
			return "", false
		}
	}
	if !utf8.Valid(body) {
		return "", false
	}
	return string(body), true
}

// isNumber reports a JSON number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func isNumber(b []byte) bool {
	i := 0
	if i < len(b) && b[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
			n++
		}
		return n
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case digits() == 0:
		return false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(b)
}

// plainStrings reads a JSON list of strings that need no unescaping (["a", "b"]); ok is false
// for anything else.
func plainStrings(raw []byte) (out []string, ok bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) < 2 || raw[0] != '[' || raw[len(raw)-1] != ']' {
		return nil, false
	}
	rest := bytes.TrimSpace(raw[1 : len(raw)-1])
	out = []string{}
	for len(rest) > 0 {
		if rest[0] != '"' {
			return nil, false
		}
		end := bytes.IndexByte(rest[1:], '"')
		if end < 0 {
			return nil, false
		}
		s, ok := plainString(rest[:end+2])
		if !ok {
			return nil, false
		}
		out = append(out, s)
		rest = bytes.TrimSpace(rest[end+2:])
		if len(rest) == 0 {
			break
		}
		if rest[0] != ',' {
			return nil, false
		}
		rest = bytes.TrimSpace(rest[1:])
		if len(rest) == 0 {
			return nil, false // a trailing comma
		}
	}
	return out, true
}

// plainRefs reads a relationship value of r given as JSON (raw) as parseRefs reads it decoded,
// when it is a plain string (an id or a name) or, for cardinality many, a list of them; ok is
// false for anything else, which parseRefs reads. It spares decoding the value into an any.
func plainRefs(r *schema.Relationship, raw []byte) (refs []Ref, ok bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '"' {
		s, ok := plainString(raw)
		if !ok {
			return nil, false
		}
		return []Ref{{ID: s}}, true
	}
	if r.Cardinality == "one" { // a list is an hfid, or none
		return nil, false
	}
	list, ok := plainStrings(raw)
	if !ok {
		return nil, false
	}
	refs = make([]Ref, len(list))
	for i, s := range list {
		refs[i] = Ref{ID: s}
	}
	return refs, true
}
