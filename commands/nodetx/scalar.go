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
// when it is a plain string (an id or a name), an object of a plain id alone ({"id": …}, what
// the SDK sends) or, for cardinality many, a list of them; ok is false for anything else, which
// parseRefs reads. It spares decoding the value into an any (and parseRef's decoding of an
// object into a Ref). The refs are appended to room[:0] (made when it has too little room): the
// caller's to give out.
func plainRefs(r *schema.Relationship, raw []byte, room []Ref) (refs []Ref, ok bool) {
	raw = trimJSON(raw)
	if len(raw) == 0 {
		return nil, false
	}
	if raw[0] == '"' || raw[0] == '{' {
		ref, ok := plainRef(raw)
		if !ok {
			return nil, false
		}
		return append(room[:0], ref), true
	}
	if r.Cardinality == "one" { // a list is an hfid, or none
		return nil, false
	}
	if len(raw) < 2 || raw[0] != '[' || raw[len(raw)-1] != ']' {
		return nil, false
	}
	rest := trimJSON(raw[1 : len(raw)-1])
	refs = room[:0]
	if refs == nil {
		refs = []Ref{} // none: not nil (parseRefs answers a list)
	}
	for len(rest) > 0 {
		var end int
		switch rest[0] {
		case '"':
			end = bytes.IndexByte(rest[1:], '"') + 1
		case '{':
			end = bytes.IndexByte(rest, '}')
		default:
			return nil, false
		}
		if end <= 0 {
			return nil, false
		}
		ref, ok := plainRef(rest[:end+1])
		if !ok {
			return nil, false
		}
		refs = append(refs, ref)
		rest = trimJSON(rest[end+1:])
		if len(rest) == 0 {
			break
		}
		if rest[0] != ',' {
			return nil, false
		}
		rest = trimJSON(rest[1:])
		if len(rest) == 0 {
			return nil, false // a trailing comma
		}
	}
	return refs, true
}

// plainRef reads one related node given as a plain string, or as an object of a plain id alone
// ({"id": "…"}, spaces between its tokens allowed); ok is false for anything else, and for an
// object of an empty id (parseRef refuses it).
func plainRef(raw []byte) (Ref, bool) {
	if len(raw) > 0 && raw[0] == '"' {
		s, ok := plainString(raw)
		return Ref{ID: s}, ok
	}
	if len(raw) < 2 || raw[0] != '{' || raw[len(raw)-1] != '}' {
		return Ref{}, false
	}
	rest, ok := bytes.CutPrefix(trimJSON(raw[1:len(raw)-1]), []byte(`"id"`))
	if !ok {
		return Ref{}, false
	}
	rest, ok = bytes.CutPrefix(trimJSON(rest), []byte(":"))
	if !ok {
		return Ref{}, false
	}
	s, ok := plainString(trimJSON(rest))
	if !ok || s == "" {
		return Ref{}, false
	}
	return Ref{ID: s}, true
}

// trimJSON is raw without the white space JSON allows around a value.
func trimJSON(raw []byte) []byte {
	isSpace := func(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
	for len(raw) > 0 && isSpace(raw[0]) {
		raw = raw[1:]
	}
	for len(raw) > 0 && isSpace(raw[len(raw)-1]) {
		raw = raw[:len(raw)-1]
	}
	return raw
}
