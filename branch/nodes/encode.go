package nodes

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"
)

// AppendPayload appends the JSON encoding of a node event's payload (Created, Updated or
// Deleted) to b: byte for byte what encoding/json writes for it (field order, omitempty, map
// keys sorted, HTML-safe escaping, number format), without reflection. Values other than
// strings, booleans, float64 and nil, and strings that need escaping, are encoded by
// encoding/json itself. ok is false for any other payload type.
func AppendPayload(b []byte, p any) ([]byte, bool, error) {
	var err error
	switch x := p.(type) {
	case Created:
		b = appendHead(b, x.ID, x.Kind, x.Global)
		b = append(b, `,"attributes":`...)
		if x.Attributes == nil {
			b = append(b, "null"...)
		} else if b, err = appendAttrs(b, x.Attributes); err != nil {
			return b, true, err
		}
		b = appendEdges(b, x.Edges)
		b = appendProps(b, x.RelProps)
		if len(x.HFID) > 0 {
			b = append(b, `,"hfid":`...)
			b = appendStrings(b, x.HFID)
		}
		if x.DisplayLabel != "" {
			b = append(b, `,"display_label":`...)
			b = appendString(b, x.DisplayLabel)
		}
		b = appendClaims(b, x.Claims)
	case Updated:
		b = appendHead(b, x.ID, x.Kind, x.Global)
		if len(x.Attributes) > 0 {
			b = append(b, `,"attributes":`...)
			if b, err = appendAttrs(b, x.Attributes); err != nil {
				return b, true, err
			}
		}
		b = appendEdges(b, x.Edges)
		b = appendProps(b, x.RelProps)
		if x.HFID != nil {
			b = append(b, `,"hfid":`...)
			if *x.HFID == nil {
				b = append(b, "null"...)
			} else {
				b = appendStrings(b, *x.HFID)
			}
		}
		if x.DisplayLabel != nil {
			b = append(b, `,"display_label":`...)
			b = appendString(b, *x.DisplayLabel)
		}
		b = appendClaims(b, x.Claims)
	case Deleted:
		b = appendHead(b, x.ID, x.Kind, x.Global)
		b = appendEdges(b, x.Edges)
		b = appendClaims(b, x.Claims)
	default:
		return b, false, nil
	}
	return append(b, '}'), true, nil
}

func appendHead(b []byte, id, kind string, global bool) []byte {
	b = append(b, `{"id":`...)
	b = appendString(b, id)
	b = append(b, `,"kind":`...)
	b = appendString(b, kind)
	if global {
		b = append(b, `,"global":true`...)
	}
	return b
}

func appendAttrs(b []byte, m map[string]Attr) ([]byte, error) {
	var arr [16]string // on the stack for the usual few
	keys := arr[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = append(b, '{')
	var err error
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		a := m[k]
		b = appendString(b, k)
		b = append(b, `:{"value":`...)
		if b, err = appendValue(b, a.Value); err != nil {
			return b, err
		}
		if a.IsDefault {
			b = append(b, `,"is_default":true`...)
		}
		b = appendLineage(b, a.Source, a.Owner, a.IsProtected, a.Global)
		b = append(b, '}')
	}
	return append(b, '}'), nil
}

// appendLineage appends the omitempty fields source, owner, is_protected and global.
func appendLineage(b []byte, source, owner string, protected, global bool) []byte {
	if source != "" {
		b = append(b, `,"source":`...)
		b = appendString(b, source)
	}
	if owner != "" {
		b = append(b, `,"owner":`...)
		b = appendString(b, owner)
	}
	if protected {
		b = append(b, `,"is_protected":true`...)
	}
	if global {
		b = append(b, `,"global":true`...)
	}
	return b
}

func appendEdges(b []byte, es []Edge) []byte {
	if len(es) == 0 {
		return b
	}
	b = append(b, `,"edges":[`...)
	for i, e := range es {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '{')
		if e.Node != "" {
			b = append(b, `"node":`...)
			b = appendString(b, e.Node)
			b = append(b, ',')
		}
		b = append(b, `"field":`...)
		b = appendString(b, e.Field)
		b = append(b, `,"peer":`...)
		b = appendString(b, e.Peer)
		if e.Remove {
			b = append(b, `,"remove":true`...)
		}
		if e.Global {
			b = append(b, `,"global":true`...)
		}
		b = append(b, '}')
	}
	return append(b, ']')
}

func appendProps(b []byte, m map[string]Props) []byte {
	if len(m) == 0 {
		return b
	}
	var arr [16]string // on the stack for the usual few
	keys := arr[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = append(b, `,"rel_props":{`...)
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		p := m[k]
		b = appendString(b, k)
		b = append(b, ':')
		// Props has no mandatory field: drop the comma appendLineage puts before the first.
		start := len(b)
		b = append(b, '{')
		b = appendLineage(b, p.Source, p.Owner, p.IsProtected, p.Global)
		if len(b) > start+1 {
			b = append(b[:start+1], b[start+2:]...)
		}
		b = append(b, '}')
	}
	return append(b, '}')
}

func appendClaims(b []byte, cs []Claim) []byte {
	if len(cs) == 0 {
		return b
	}
	b = append(b, `,"claims":[`...)
	for i, c := range cs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"kind":`...)
		b = appendString(b, c.Kind)
		b = append(b, `,"constraint":`...)
		b = appendString(b, c.Constraint)
		b = append(b, `,"key":`...)
		b = appendString(b, c.Key)
		if c.Release {
			b = append(b, `,"release":true`...)
		}
		if c.Global {
			b = append(b, `,"global":true`...)
		}
		b = append(b, '}')
	}
	return append(b, ']')
}

func appendStrings(b []byte, ss []string) []byte {
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, s)
	}
	return append(b, ']')
}

// appendValue appends an attribute value as encoding/json does.
func appendValue(b []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case string:
		return appendString(b, x), nil
	case bool:
		return strconv.AppendBool(b, x), nil
	case float64:
		if !math.IsInf(x, 0) && !math.IsNaN(x) {
			return appendFloat(b, x), nil
		}
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return b, err
	}
	return append(b, raw...), nil
}

// appendFloat is encoding/json's float64 format: the shortest representation, in exponent
// form below 1e-6 and from 1e21 on, with a one-digit negative exponent unpadded.
func appendFloat(b []byte, f float64) []byte {
	abs, format := math.Abs(f), byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

// appendString appends s quoted; a string holding anything encoding/json escapes (controls,
// quotes, backslashes, <, >, &, U+2028, U+2029, invalid UTF-8) is quoted by encoding/json.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !plainASCII[c] {
			if c >= utf8.RuneSelf && plainUTF8(s[i:]) {
				break
			}
			return appendEscaped(b, s)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// plainASCII marks the bytes encoding/json copies as they are from any string: ASCII but
// controls, quotes, backslashes, <, > and &. One load per byte instead of seven comparisons:
// the ids a payload repeats (the node's, its peers', its claims') make most of what it quotes.
var plainASCII = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

// appendEscaped appends s quoted as encoding/json quotes it (HTML-safe): \", \\, \b, \f, \n, \r,
// \t, other controls and <, >, & as \u00XX, U+2028 and U+2029 as \u2028 and \u2029, each
// invalid UTF-8 byte as \ufffd.
func appendEscaped(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
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
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// plainUTF8 reports whether s is valid UTF-8 that encoding/json copies as it is: no byte it
// escapes, no U+2028 or U+2029.
func plainUTF8(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || r == '\u2028' || r == '\u2029' {
			return false
		}
		i += size
	}
	return true
}
