package value

import (
	"strconv"
	"strings"
)

// StrFormat is Python's format.format(*args, **kwargs).
func StrFormat(format string, args []Value, kwargs []Kwarg) (string, error) {
	f := &formatter{args: args, kwargs: kwargs}
	return f.expand(format, 2)
}

// FormatHooks make StrFormatWith Python's string.Formatter with the given lookups of a field's
// .attr and [key] parts (Jinja2's sandbox formats through its getattr and getitem): its
// messages differ from str.format's in places.
type FormatHooks struct {
	Attr func(v Value, name string) (Value, error)
	Item func(v, key Value) (Value, error)
}

// StrFormatWith is string.Formatter().vformat(format, args, kwargs) with h's lookups.
func StrFormatWith(format string, args []Value, kwargs []Kwarg, h FormatHooks) (string, error) {
	f := &formatter{args: args, kwargs: kwargs, hooks: &h}
	return f.expand(format, 2)
}

type formatter struct {
	hooks   *FormatHooks // string.Formatter with these lookups; nil: str.format
	args    []Value
	kwargs  []Kwarg
	auto    int  // next automatic field number
	manual  bool // a field was numbered explicitly
	autoSet bool // a field was numbered automatically
	escape  bool // Markup.format: each field escaped (EscapeFormatter)
}

func (f *formatter) expand(s string, depth int) (string, error) {
	if depth < 0 {
		return "", valueError("Max string recursion exceeded")
	}
	var out strings.Builder
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '}':
			if i+1 < len(s) && s[i+1] == '}' {
				out.WriteByte('}')
				i += 2
				continue
			}
			return "", valueError("Single '}' encountered in format string")
		case c != '{':
			j := strings.IndexAny(s[i:], "{}")
			if j < 0 {
				j = len(s) - i
			}
			out.WriteString(s[i : i+j])
			i += j
			continue
		}
		if i+1 < len(s) && s[i+1] == '{' {
			out.WriteByte('{')
			i += 2
			continue
		}
		// a replacement field: find its closing brace, nested braces counted
		level, j := 1, i+1
		for ; j < len(s) && level > 0; j++ {
			switch s[j] {
			case '{':
				level++
			case '}':
				level--
			}
		}
		if level > 0 {
			if i+1 == len(s) {
				return "", valueError("Single '{' encountered in format string")
			}
			return "", valueError("expected '}' before end of string")
		}
		text, err := f.field(s[i+1:j-1], depth)
		if err != nil {
			return "", err
		}
		out.WriteString(text)
		if out.Len() > MaxSize {
			return "", tooLarge()
		}
		i = j
	}
	return out.String(), nil
}

// field formats one replacement field "name[!conv][:spec]".
func (f *formatter) field(field string, depth int) (string, error) {
	i := 0
	for i < len(field) && field[i] != '!' && field[i] != ':' {
		if field[i] == '[' {
			for i < len(field) && field[i] != ']' {
				i++
			}
			if i == len(field) {
				break
			}
		}
		i++
	}
	name, conv, spec := field[:min(i, len(field))], byte(0), ""
	rest := field[min(i, len(field)):]
	if strings.HasPrefix(rest, "!") {
		if len(rest) < 2 {
			return "", valueError("end of string while looking for conversion specifier")
		}
		conv, rest = rest[1], rest[2:]
		if rest != "" && rest[0] != ':' {
			return "", valueError("expected ':' after conversion specifier")
		}
	}
	if strings.HasPrefix(rest, ":") {
		spec = rest[1:]
	}
	v, err := f.lookup(name)
	if err != nil {
		return "", err
	}
	switch conv {
	case 0:
	case 'r':
		s, err := Repr(v)
		if err != nil {
			return "", err
		}
		v = s
	case 's':
		s, err := Str(v)
		if err != nil {
			return "", err
		}
		v = s
	case 'a':
		s, err := ASCII(v)
		if err != nil {
			return "", err
		}
		v = s
	default:
		return "", valueError("Unknown conversion specifier %c", conv)
	}
	if strings.ContainsAny(spec, "{}") {
		if spec, err = f.expand(spec, depth-1); err != nil {
			return "", err
		}
	}
	if f.escape {
		return escapedField(v, spec)
	}
	if u, ok := v.(*Undefined); ok && f.hooks != nil {
		if _, err := Str(u); err != nil { // a strict Undefined fails as soon as it is formatted
			return "", err
		}
	}
	return Format(v, spec)
}

// lookup resolves a field name: an argument then .attr and [key] parts.
func (f *formatter) lookup(name string) (Value, error) {
	end := strings.IndexAny(name, ".[")
	if end < 0 {
		end = len(name)
	}
	first := name[:end]
	var v Value
	if first == "" {
		if f.manual {
			return nil, valueError("cannot switch from manual field specification to automatic field numbering")
		}
		f.autoSet = true
		first = strconv.Itoa(f.auto)
		f.auto++
	} else if isDigits(first) {
		if f.autoSet && f.hooks != nil { // string.Formatter words both switches alike
			return nil, valueError("cannot switch from manual field specification to automatic field numbering")
		}
		if f.autoSet {
			return nil, valueError("cannot switch from automatic field numbering to manual field specification")
		}
		f.manual = true
	}
	if isDigits(first) {
		n, err := strconv.Atoi(first)
		if err != nil || n >= len(f.args) {
			if f.hooks != nil {
				return nil, Errorf("IndexError", "tuple index out of range")
			}
			return nil, Errorf("IndexError", "Replacement index %s out of range for positional args tuple", first)
		}
		v = f.args[n]
	} else {
		found := false
		for _, kw := range f.kwargs {
			if kw.Name == first {
				v, found = kw.Value, true
			}
		}
		if !found {
			return nil, &Error{Kind: "KeyError", Message: QuoteString(first)}
		}
	}
	rest := name[end:]
	for rest != "" {
		switch rest[0] {
		case '.':
			j := strings.IndexAny(rest[1:], ".[")
			if j < 0 {
				j = len(rest) - 1
			}
			attr := rest[1 : 1+j]
			if attr == "" {
				return nil, valueError("Empty attribute in format string")
			}
			var err error
			if f.hooks != nil {
				v, err = f.hooks.Attr(v, attr)
			} else {
				v, err = Attr(v, attr)
			}
			if err != nil {
				return nil, err
			}
			rest = rest[1+j:]
		case '[':
			j := strings.IndexByte(rest, ']')
			if j < 0 {
				return nil, valueError("Missing ']' in format field")
			}
			key := rest[1:j]
			if key == "" {
				return nil, valueError("Empty attribute in format string")
			}
			var k Value = key
			if isDigits(key) {
				n, _ := strconv.ParseInt(key, 10, 64)
				k = n
			}
			var err error
			if f.hooks != nil {
				v, err = f.hooks.Item(v, k)
			} else {
				v, err = GetItem(v, k)
			}
			if err != nil {
				return nil, err
			}
			rest = rest[j+1:]
			if rest != "" && rest[0] != '.' && rest[0] != '[' {
				return nil, valueError("Only '.' or '[' may follow ']' in format field specifier")
			}
		}
	}
	return v, nil
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
