package jinja

import (
	"strings"
	"unicode"

	"github.com/infrahub-go/infrahub/jinja/value"
)

// The builtin filters over text. escape, forceescape and safe return a value.Markup (MarkupSafe's
// Markup); string keeps a Markup (soft_str); the other filters work on str(value).

func init() {
	str1 := func(fn string, body func(s string) value.Value) Filter {
		return biFilter(biSig(fn, 0, []string{"s"}), func(_ Runtime, b biBound) (value.Value, error) {
			s, err := biStr(b.p[0])
			if err != nil {
				return nil, err
			}
			return body(s), nil
		})
	}
	one := func(fn string, body func(v value.Value) (value.Value, error)) Filter {
		return biFilter(biSig(fn, 0, []string{"value"}), func(_ Runtime, b biBound) (value.Value, error) { return body(b.p[0]) })
	}
	// soft is a filter calling the str method of soft_str(s): a Markup's method keeps it a Markup.
	soft := func(method string, plain Filter) Filter {
		return func(r Runtime, v value.Value, a Args) (value.Value, error) {
			if _, ok := v.(value.Markup); ok && len(a.Pos)+len(a.Kw) == 0 {
				return biSoftStrCall(v, method)
			}
			return plain(r, v, a)
		}
	}
	for name, f := range map[string]Filter{
		"capitalize":  soft("capitalize", str1("do_capitalize", func(s string) value.Value { return value.Capitalize(s) })),
		"lower":       soft("lower", str1("do_lower", func(s string) value.Value { return value.Lower(s) })),
		"upper":       soft("upper", str1("do_upper", func(s string) value.Value { return value.Upper(s) })),
		"title":       str1("do_title", func(s string) value.Value { return biTitle(s) }),
		"wordcount":   str1("do_wordcount", func(s string) value.Value { return int64(biWordCount(s)) }),
		"safe":        one("do_mark_safe", biMarkSafe),
		"string":      one("soft_str", biSoftStr),
		"escape":      one("escape", biEscape),
		"e":           one("escape", biEscape),
		"forceescape": one("do_forceescape", biForceEscape),
		"striptags":   str1("do_striptags", func(s string) value.Value { return value.StripTags(s) }),
		"center": biFilter(biSig("do_center", 0, []string{"value", "width"}, int64(80)), func(_ Runtime, b biBound) (value.Value, error) {
			return biSoftStrCall(b.p[0], "center", b.p[1])
		}),
		"trim": biFilter(biSig("do_trim", 0, []string{"value", "chars"}, nil), func(_ Runtime, b biBound) (value.Value, error) {
			return biSoftStrCall(b.p[0], "strip", b.p[1])
		}),
		"replace": biFilter(biSig("do_replace", 1, []string{"s", "old", "new", "count"}, nil), biFilterReplace),
		"format":  biFilter(&biPySig{fn: "do_format", params: []string{"value"}, varargs: true, varkw: true}, biFilterFormat),
		"indent":  biFilter(biSig("do_indent", 0, []string{"s", "width", "first", "blank"}, int64(4), false, false), biFilterIndent),
		"truncate": biFilter(biSig("do_truncate", 1, []string{"s", "length", "killwords", "end", "leeway"}, int64(255), false, "...", nil),
			biFilterTruncate),
	} {
		builtinFilters[name] = f
	}
}

// biStrCall calls the str method name on str(v).
func biStrCall(v value.Value, name string, args ...value.Value) (value.Value, error) {
	s, err := biStr(v)
	if err != nil {
		return nil, err
	}
	m, _ := value.Method(s, name)
	return m.Call(args, nil)
}

// biSoftStrCall calls the str method name on soft_str(v): a Markup's own method on a Markup.
func biSoftStrCall(v value.Value, name string, args ...value.Value) (value.Value, error) {
	if _, ok := v.(value.Markup); !ok {
		return biStrCall(v, name, args...)
	}
	m, _ := value.Method(v, name)
	return m.Call(args, nil)
}

// biEscapeHTML is markupsafe's escape of a str.
func biEscapeHTML(s string) string { return value.EscapeString(s) }

// biMarkSafe is do_mark_safe: Markup(value), the HTML of an HTMLer as is.
func biMarkSafe(v value.Value) (value.Value, error) {
	if h, ok := v.(value.HTMLer); ok {
		return value.Markup(h.HTML()), nil
	}
	s, err := value.Str(v)
	return value.Markup(s), err
}

// biSoftStr is soft_str: a str (a Markup included) as is, else str(value).
func biSoftStr(v value.Value) (value.Value, error) {
	if m, ok := v.(value.Markup); ok {
		return m, nil
	}
	return value.Str(v)
}

func biEscape(v value.Value) (value.Value, error) { return value.Escape(v) }

// biForceEscape is do_forceescape: the HTML of an HTMLer escaped again, else escape(str(value)).
func biForceEscape(v value.Value) (value.Value, error) {
	if h, ok := v.(value.HTMLer); ok {
		v = h.HTML()
	}
	s, err := value.Str(v)
	if err != nil {
		return nil, err
	}
	return value.Markup(biEscapeHTML(s)), nil
}

// biPyIsSpace is Python's str.isspace for one character.
func biPyIsSpace(r rune) bool { return unicode.IsSpace(r) || r >= 0x1c && r <= 0x1f }

// biIsWordChar is a character of Python's \w in a str pattern.
func biIsWordChar(r rune) bool { return r == '_' || unicode.IsLetter(r) || unicode.IsNumber(r) }

// biWordCount is len(re.findall(r"\w+", s)).
func biWordCount(s string) int {
	n, in := 0, false
	for _, r := range s {
		w := biIsWordChar(r)
		if w && !in {
			n++
		}
		in = w
	}
	return n
}

// biTitle is do_title: the text split around runs of "-", "(", "{", "[", "<" and whitespace,
// each piece's first character upper-cased and the rest lower-cased.
func biTitle(s string) string {
	isSep := func(r rune) bool { return strings.ContainsRune("-({[<", r) || biPyIsSpace(r) }
	var b strings.Builder
	rs := []rune(s)
	for i := 0; i < len(rs); {
		j := i
		sep := isSep(rs[i])
		for j < len(rs) && isSep(rs[j]) == sep {
			j++
		}
		piece := rs[i:j]
		b.WriteString(value.Upper(string(piece[0])))
		b.WriteString(value.Lower(string(piece[1:])))
		i = j
	}
	return b.String()
}

// biSplitLines is Python's str.splitlines() (without the line ends).
func biSplitLines(s string) []string {
	var lines []string
	start := 0
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		switch rs[i] {
		case '\n', '\r', '\v', '\f', 0x1c, 0x1d, 0x1e, 0x85, 0x2028, 0x2029:
			lines = append(lines, string(rs[start:i]))
			if rs[i] == '\r' && i+1 < len(rs) && rs[i+1] == '\n' {
				i++
			}
			start = i + 1
		}
	}
	if start < len(rs) {
		lines = append(lines, string(rs[start:]))
	}
	return lines
}

func biFilterReplace(_ Runtime, b biBound) (value.Value, error) {
	count := b.p[3]
	if count == nil {
		count = int64(-1)
	}
	old, err := biStr(b.p[1])
	if err != nil {
		return nil, err
	}
	repl, err := biStr(b.p[2])
	if err != nil {
		return nil, err
	}
	return biStrCall(b.p[0], "replace", old, repl, count)
}

func biFilterFormat(_ Runtime, b biBound) (value.Value, error) {
	if len(b.rest) > 0 && len(b.kw) > 0 {
		return nil, value.Errorf("FilterArgumentError", "can't handle positional and keyword arguments at the same time")
	}
	var args value.Value = value.Tuple(b.rest)
	if len(b.kw) > 0 {
		d := value.NewDict()
		for _, kw := range b.kw {
			d.SetStr(kw.Name, kw.Value)
		}
		args = d
	}
	if m, ok := b.p[0].(value.Markup); ok { // soft_str(value) % args: a Markup escapes the arguments
		return value.Mod(m, args)
	}
	s, err := biStr(b.p[0])
	if err != nil {
		return nil, err
	}
	return value.Percent(s, args)
}

func biFilterIndent(_ Runtime, b biBound) (value.Value, error) {
	indention, ok := b.p[1].(string)
	if m, isMarkup := b.p[1].(value.Markup); isMarkup {
		indention, ok = string(m), true
	}
	if !ok {
		ind, err := value.Mul(" ", b.p[1])
		if err != nil {
			return nil, err
		}
		if indention, ok = ind.(string); !ok {
			return nil, value.Errorf("TypeError", "can't multiply sequence by non-int of type '%s'", value.TypeName(b.p[1]))
		}
	}
	s, ok := b.p[0].(string)
	m, markup := b.p[0].(value.Markup) // a Markup indents as is and stays a Markup
	if markup {
		s, ok = string(m), true
	}
	if !ok {
		if _, isList := b.p[0].(*value.List); isList {
			return nil, value.Errorf("AttributeError", "'list' object has no attribute 'splitlines'")
		}
		if _, err := value.Add(b.p[0], "\n"); err != nil {
			return nil, biAugmented(err, "+")
		}
		return nil, value.Errorf("AttributeError", "'%s' object has no attribute 'splitlines'", value.TypeName(b.p[0]))
	}
	blank, err := biTruth(b.p[3])
	if err != nil {
		return nil, err
	}
	lines := biSplitLines(s + "\n")
	if len(s)+(len(lines)+1)*(len(indention)+1) > value.MaxSize {
		return nil, biTooLarge()
	}
	var rv string
	if blank {
		rv = strings.Join(lines, "\n"+indention)
	} else {
		var sb strings.Builder
		sb.WriteString(lines[0])
		for _, line := range lines[1:] {
			sb.WriteString("\n")
			if line != "" {
				sb.WriteString(indention)
			}
			sb.WriteString(line)
		}
		rv = sb.String()
	}
	first, err := biTruth(b.p[2])
	if err != nil {
		return nil, err
	}
	if first {
		rv = indention + rv
	}
	if markup {
		return value.Markup(rv), nil
	}
	return rv, nil
}

func biFilterTruncate(_ Runtime, b biBound) (value.Value, error) {
	s, length, end, leeway := b.p[0], b.p[1], b.p[3], b.p[4]
	if leeway == nil {
		leeway = int64(5)
	}
	endLen, err := value.Len(end)
	if err != nil {
		return nil, err
	}
	if ok, err := value.Compare(">=", length, int64(endLen)); err != nil {
		return nil, err
	} else if !ok {
		return nil, value.Errorf("AssertionError", "expected length >= %d, got %s", endLen, biStrOrRepr(length))
	}
	if ok, err := value.Compare(">=", leeway, int64(0)); err != nil {
		return nil, err
	} else if !ok {
		return nil, value.Errorf("AssertionError", "expected leeway >= 0, got %s", biStrOrRepr(leeway))
	}
	n, err := value.Len(s)
	if err != nil {
		return nil, err
	}
	limit, err := value.Add(length, leeway)
	if err != nil {
		return nil, err
	}
	if ok, err := value.Compare("<=", int64(n), limit); err != nil || ok {
		if err != nil {
			return nil, err
		}
		return s, nil
	}
	cut, err := value.Sub(length, int64(endLen))
	if err != nil {
		return nil, err
	}
	head, err := value.GetItem(s, &value.Slice{Stop: cut})
	if err != nil {
		return nil, err
	}
	kill, err := biTruth(b.p[2])
	if err != nil {
		return nil, err
	}
	if !kill {
		rsplit, err := value.Attr(head, "rsplit")
		if err != nil {
			return nil, err
		}
		parts, err := rsplit.(value.Callable).Call([]value.Value{" ", int64(1)}, nil)
		if err != nil {
			return nil, err
		}
		if head, err = value.GetItem(parts, int64(0)); err != nil {
			return nil, err
		}
	}
	return value.Add(head, end)
}

// biStrOrRepr is str(v) for a message: its repr when str fails.
func biStrOrRepr(v value.Value) string {
	s, err := biStr(v)
	if err != nil {
		return value.ReprString(v)
	}
	return s
}
