package jinja

import (
	"html"
	"strings"
	"unicode"

	"github.com/infrahub-go/infrahub/jinja/value"
)

// The builtin filters over text. Autoescaping is off in Infrahub's environments and this
// engine has no Markup type: escape returns a plain str.

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
	for name, f := range map[string]Filter{
		"capitalize":  str1("do_capitalize", func(s string) value.Value { return value.Capitalize(s) }),
		"lower":       str1("do_lower", func(s string) value.Value { return value.Lower(s) }),
		"upper":       str1("do_upper", func(s string) value.Value { return value.Upper(s) }),
		"title":       str1("do_title", func(s string) value.Value { return biTitle(s) }),
		"wordcount":   str1("do_wordcount", func(s string) value.Value { return int64(biWordCount(s)) }),
		"safe":        str1("do_mark_safe", func(s string) value.Value { return s }),
		"string":      str1("soft_str", func(s string) value.Value { return s }),
		"escape":      str1("escape", func(s string) value.Value { return biEscapeHTML(s) }),
		"e":           str1("escape", func(s string) value.Value { return biEscapeHTML(s) }),
		"forceescape": str1("do_forceescape", func(s string) value.Value { return biEscapeHTML(s) }),
		"striptags":   str1("do_striptags", func(s string) value.Value { return biStripTags(s) }),
		"center": biFilter(biSig("do_center", 0, []string{"value", "width"}, int64(80)), func(_ Runtime, b biBound) (value.Value, error) {
			return biStrCall(b.p[0], "center", b.p[1])
		}),
		"trim": biFilter(biSig("do_trim", 0, []string{"value", "chars"}, nil), func(_ Runtime, b biBound) (value.Value, error) {
			return biStrCall(b.p[0], "strip", b.p[1])
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

// biEscapeHTML is markupsafe's escape of a str.
var biHtmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "'", "&#39;", `"`, "&#34;")

func biEscapeHTML(s string) string { return biHtmlEscaper.Replace(s) }

// biStripTags is markupsafe's Markup.striptags: comments, then tags, removed; whitespace runs
// collapsed to one space; HTML entities unescaped.
func biStripTags(s string) string {
	s = biRemoveSpans(biRemoveSpans(s, "<!--", "-->"), "<", ">")
	return html.UnescapeString(strings.Join(strings.FieldsFunc(s, biPyIsSpace), " "))
}

// biRemoveSpans is markupsafe's loop `while (start := s.find(open)) != -1: end := s.find(close,
// start) ...; s = s[:start] + s[end+len(close):]` in linear time: the text kept so far
// (buf[:w]) holds no open marker except across its end, where a removal may form one.
func biRemoveSpans(s, open, close string) string {
	buf := []byte(s)
	w, r := 0, 0                     // kept: buf[:w]; still to look at: buf[r:]
	at := func(v int) (byte, bool) { // the byte at v of the text buf[:w] + buf[r:]
		if v < w {
			return buf[v], true
		}
		if i := r + v - w; i < len(buf) {
			return buf[i], true
		}
		return 0, false
	}
	hasAt := func(v int, marker string) bool {
		for k := 0; k < len(marker); k++ {
			c, ok := at(v + k)
			if !ok || c != marker[k] {
				return false
			}
		}
		return true
	}
	find := func(from int, marker string) int { // the first marker at or after from
		v := from
		for ; v < w; v++ {
			if hasAt(v, marker) {
				return v
			}
		}
		i := strings.Index(string(buf[r+v-w:]), marker)
		if i < 0 {
			return -1
		}
		return v + i
	}
	for {
		start := find(max(0, w-len(open)+1), open)
		if start < 0 {
			break
		}
		end := find(start, close)
		if end < 0 {
			break
		}
		next := r + end + len(close) - w // the buffer index of what follows the removed span
		if start > w {
			copy(buf[w:], buf[r:r+start-w])
		}
		w, r = start, next
	}
	return string(buf[:w]) + string(buf[r:])
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
	s, err := biStr(b.p[0])
	if err != nil {
		return nil, err
	}
	var args value.Value = value.Tuple(b.rest)
	if len(b.kw) > 0 {
		d := value.NewDict()
		for _, kw := range b.kw {
			d.SetStr(kw.Name, kw.Value)
		}
		args = d
	}
	return value.Percent(s, args)
}

func biFilterIndent(_ Runtime, b biBound) (value.Value, error) {
	indention, ok := b.p[1].(string)
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
