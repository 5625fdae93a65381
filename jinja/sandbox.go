package jinja

import (
	"strconv"
	"strings"

	"github.com/infrahub-go/infrahub/jinja/value"
)

// sandboxFormat is the sandbox's str.format (and format_map) of s: Python's string.Formatter
// whose field lookups (`{0.attr}`, `{0[key]}`) go through the sandbox's getattr and getitem.
func (a access) sandboxFormat(s string, isMap bool) *value.Func {
	name := "format"
	if isMap {
		name = "format_map"
	}
	return &value.Func{Name: name, Bound: true, Self: s, Fn: func(args []value.Value, kw []value.Kwarg) (value.Value, error) {
		if isMap {
			if len(kw) > 0 {
				return nil, value.Errorf("TypeError", "format_map() takes no keyword arguments")
			}
			if len(args) != 1 {
				return nil, value.Errorf("TypeError", "format_map() takes exactly one argument (%d given)", len(args))
			}
			var err error
			if kw, err = mappingKwargs(args[0]); err != nil {
				return nil, err
			}
			args = nil
		}
		sf := &sandboxFormatter{a: a, args: args, kwargs: kw}
		return sf.vformat(s, 2)
	}}
}

type sandboxFormatter struct {
	a      access
	args   []value.Value
	kwargs []value.Kwarg
	auto   int
	manual bool
}

func (sf *sandboxFormatter) vformat(s string, depth int) (string, error) {
	if depth < 0 {
		return "", value.Errorf("ValueError", "Max string recursion exceeded")
	}
	var out strings.Builder
	for i := 0; i < len(s); {
		c := s[i]
		if c == '}' {
			if i+1 < len(s) && s[i+1] == '}' {
				out.WriteByte('}')
				i += 2
				continue
			}
			return "", value.Errorf("ValueError", "Single '}' encountered in format string")
		}
		if c != '{' {
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
				return "", value.Errorf("ValueError", "Single '{' encountered in format string")
			}
			return "", value.Errorf("ValueError", "expected '}' before end of string")
		}
		text, err := sf.field(s[i+1:j-1], depth)
		if err != nil {
			return "", err
		}
		out.WriteString(text)
		i = j
	}
	return out.String(), nil
}

func (sf *sandboxFormatter) field(field string, depth int) (string, error) {
	end := len(field)
	for k := 0; k < len(field); k++ {
		if field[k] == '[' {
			for k < len(field) && field[k] != ']' {
				k++
			}
			continue
		}
		if field[k] == '!' || field[k] == ':' {
			end = k
			break
		}
	}
	name, rest := field[:end], field[end:]
	var conv byte
	if strings.HasPrefix(rest, "!") {
		if len(rest) < 2 {
			return "", value.Errorf("ValueError", "end of string while looking for conversion specifier")
		}
		conv, rest = rest[1], rest[2:]
		if rest != "" && rest[0] != ':' {
			return "", value.Errorf("ValueError", "expected ':' after conversion specifier")
		}
	}
	spec := strings.TrimPrefix(rest, ":")
	if name == "" {
		if sf.manual {
			return "", value.Errorf("ValueError", "cannot switch from manual field specification to automatic field numbering")
		}
		name = strconv.Itoa(sf.auto)
		sf.auto++
	} else if isDigits(name) {
		if sf.auto > 0 {
			return "", value.Errorf("ValueError", "cannot switch from manual field specification to automatic field numbering")
		}
		sf.manual = true
	}
	v, err := sf.lookup(name)
	if err != nil {
		return "", err
	}
	switch conv {
	case 0:
	case 'r':
		v, err = value.Repr(v)
	case 's':
		v, err = value.Str(v)
	case 'a':
		v, err = value.ASCII(v)
	default:
		return "", value.Errorf("ValueError", "Unknown conversion specifier %c", conv)
	}
	if err != nil {
		return "", err
	}
	if strings.ContainsAny(spec, "{}") {
		if spec, err = sf.vformat(spec, depth-1); err != nil {
			return "", err
		}
	}
	if u, ok := v.(*value.Undefined); ok {
		if _, err := value.Str(u); err != nil {
			return "", err
		}
	}
	return value.Format(v, spec)
}

// lookup is string.Formatter.get_field with the sandbox's getattr and getitem.
func (sf *sandboxFormatter) lookup(name string) (value.Value, error) {
	end := strings.IndexAny(name, ".[")
	if end < 0 {
		end = len(name)
	}
	first, rest := name[:end], name[end:]
	var v value.Value
	if isDigits(first) {
		n, err := strconv.Atoi(first)
		if err != nil || n >= len(sf.args) {
			return nil, value.Errorf("IndexError", "tuple index out of range")
		}
		v = sf.args[n]
	} else {
		found := false
		for _, kw := range sf.kwargs {
			if kw.Name == first {
				v, found = kw.Value, true
			}
		}
		if !found {
			return nil, &value.Error{Kind: "KeyError", Message: pyQuote(first)}
		}
	}
	for rest != "" {
		var err error
		if rest[0] == '.' {
			j := strings.IndexAny(rest[1:], ".[")
			if j < 0 {
				j = len(rest) - 1
			}
			attr := rest[1 : 1+j]
			if attr == "" {
				return nil, value.Errorf("ValueError", "Empty attribute in format string")
			}
			if v, err = sf.a.getattr(v, attr); err != nil {
				return nil, err
			}
			rest = rest[1+j:]
			continue
		}
		j := strings.IndexByte(rest, ']')
		if rest[0] != '[' || j < 0 {
			return nil, value.Errorf("ValueError", "Missing ']' in format field")
		}
		key := rest[1:j]
		if key == "" {
			return nil, value.Errorf("ValueError", "Empty attribute in format string")
		}
		var k value.Value = key
		if isDigits(key) {
			n, _ := strconv.ParseInt(key, 10, 64)
			k = n
		}
		if v, err = sf.a.getitem(v, k); err != nil {
			return nil, err
		}
		rest = rest[j+1:]
		if rest != "" && rest[0] != '.' && rest[0] != '[' {
			return nil, value.Errorf("ValueError", "Only '.' or '[' may follow ']' in format field specifier")
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
