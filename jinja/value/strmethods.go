package value

import (
	"strings"
	"unicode/utf8"
)

// method is a builtin method: its signature and its body over the bound
// arguments (missing where not passed).
type method struct {
	sig sig
	fn  func(self Value, a []Value) (Value, error)
}

func strMethod(name string, style argStyle, params []string, required int, fn func(s string, a []Value) (Value, error)) method {
	return method{sig: sig{typ: "str", name: name, style: style, params: params, required: required},
		fn: func(self Value, a []Value) (Value, error) { return fn(self.(string), a) }}
}

// strPred is a str.isxxx() method.
func strPred(name string, pred func(string) bool) method {
	return strMethod(name, noArgs, nil, 0, func(s string, _ []Value) (Value, error) { return pred(s), nil })
}

func strMap(name string, f func(string) string) method {
	return strMethod(name, noArgs, nil, 0, func(s string, _ []Value) (Value, error) { return f(s), nil })
}

var strMethods map[string]method

func init() {
	subArgs := []string{"sub", "start", "end"}
	strMethods = map[string]method{}
	for _, m := range []method{
		strMethod("split", keywords, []string{"sep", "maxsplit"}, 0, func(s string, a []Value) (Value, error) { return strSplit(s, a, false) }),
		strMethod("rsplit", keywords, []string{"sep", "maxsplit"}, 0, func(s string, a []Value) (Value, error) { return strSplit(s, a, true) }),
		strMethod("splitlines", keywords, []string{"keepends"}, 0, func(s string, a []Value) (Value, error) {
			keep := false
			if a[0] != missing {
				n, err := argIndex(a[0])
				if err != nil {
					return nil, err
				}
				keep = n != 0
			}
			return strSplitlines(s, keep), nil
		}),
		strMethod("strip", posOnly, []string{"chars"}, 0, func(s string, a []Value) (Value, error) { return strStrip(s, a[0], "strip", true, true) }),
		strMethod("lstrip", posOnly, []string{"chars"}, 0, func(s string, a []Value) (Value, error) { return strStrip(s, a[0], "lstrip", true, false) }),
		strMethod("rstrip", posOnly, []string{"chars"}, 0, func(s string, a []Value) (Value, error) { return strStrip(s, a[0], "rstrip", false, true) }),
		strMethod("replace", posOnly, []string{"old", "new", "count"}, 2, strReplace),
		strMethod("startswith", oldPos, []string{"prefix", "start", "end"}, 1, func(s string, a []Value) (Value, error) { return strTailMatch(s, a, false) }),
		strMethod("endswith", oldPos, []string{"suffix", "start", "end"}, 1, func(s string, a []Value) (Value, error) { return strTailMatch(s, a, true) }),
		strMethod("find", oldPos, subArgs, 1, func(s string, a []Value) (Value, error) { return strFind(s, a, false) }),
		strMethod("rfind", oldPos, subArgs, 1, func(s string, a []Value) (Value, error) { return strFind(s, a, true) }),
		strMethod("index", oldPos, subArgs, 1, func(s string, a []Value) (Value, error) { return strIndex(s, a, false) }),
		strMethod("rindex", oldPos, subArgs, 1, func(s string, a []Value) (Value, error) { return strIndex(s, a, true) }),
		strMethod("count", oldPos, subArgs, 1, strCount),
		strMethod("join", oneArg, []string{"iterable"}, 1, strJoin),
		strMap("upper", Upper),
		strMap("lower", Lower),
		strMap("title", Title),
		strMap("capitalize", Capitalize),
		strMap("swapcase", Swapcase),
		strMap("casefold", Casefold),
		strPred("isdigit", func(s string) bool { return strIs(s, pyIsDigit) }),
		strPred("isalpha", func(s string) bool { return strIs(s, pyIsAlpha) }),
		strPred("isalnum", func(s string) bool { return strIs(s, pyIsAlnum) }),
		strPred("isspace", func(s string) bool { return strIs(s, pyIsSpace) }),
		strPred("isdecimal", func(s string) bool { return strIs(s, pyIsDecimal) }),
		strPred("isnumeric", func(s string) bool { return strIs(s, pyIsNumeric) }),
		strPred("isupper", strIsUpper),
		strPred("islower", strIsLower),
		strPred("istitle", strIsTitle),
		strPred("isidentifier", strIsIdentifier),
		strPred("isascii", func(s string) bool { return s == "" || strIs(s, func(r rune) bool { return r < 0x80 }) }),
		strPred("isprintable", func(s string) bool { return s == "" || strIs(s, isPrintable) }),
		strMethod("zfill", oneArg, []string{"width"}, 1, strZfill),
		strMethod("ljust", posOnly, []string{"width", "fillchar"}, 1, func(s string, a []Value) (Value, error) { return strJustify(s, a, "ljust") }),
		strMethod("rjust", posOnly, []string{"width", "fillchar"}, 1, func(s string, a []Value) (Value, error) { return strJustify(s, a, "rjust") }),
		strMethod("center", posOnly, []string{"width", "fillchar"}, 1, func(s string, a []Value) (Value, error) { return strJustify(s, a, "center") }),
		strMethod("partition", oneArg, []string{"sep"}, 1, func(s string, a []Value) (Value, error) { return strPartition(s, a[0], false) }),
		strMethod("rpartition", oneArg, []string{"sep"}, 1, func(s string, a []Value) (Value, error) { return strPartition(s, a[0], true) }),
		strMethod("removeprefix", oneArg, []string{"prefix"}, 1, func(s string, a []Value) (Value, error) { return strRemoveAffix(s, a[0], "removeprefix") }),
		strMethod("removesuffix", oneArg, []string{"suffix"}, 1, func(s string, a []Value) (Value, error) { return strRemoveAffix(s, a[0], "removesuffix") }),
		strMethod("expandtabs", keywords, []string{"tabsize"}, 0, strExpandtabs),
	} {
		strMethods[m.sig.name] = m
	}
}

func strReplace(s string, a []Value) (Value, error) {
	old, err := argStr(a[0])
	if err != nil {
		return nil, err
	}
	repl, err := argStr(a[1])
	if err != nil {
		return nil, err
	}
	count, err := optIndex(a[2], -1, false)
	if err != nil {
		return nil, err
	}
	n := strings.Count(s, old)
	if count >= 0 && int64(n) > count {
		n = int(count)
	}
	if int64(len(s))+int64(n)*int64(len(repl)-len(old)) > MaxSize {
		return nil, tooLarge()
	}
	if count > int64(len(s))+1 {
		count = -1
	}
	return strings.Replace(s, old, repl, int(count)), nil
}

func strIndex(s string, a []Value, last bool) (Value, error) {
	i, err := strFind(s, a, last)
	if err != nil {
		return nil, err
	}
	if i < 0 {
		return nil, valueError("substring not found")
	}
	return i, nil
}

func strJoin(s string, a []Value) (Value, error) {
	if err := strictErr(a[0]); err != nil {
		return nil, err
	}
	seq, err := Iterate(a[0])
	if err != nil {
		return nil, typeError("can only join an iterable")
	}
	var b strings.Builder
	i := 0
	for it := range seq {
		str, ok := norm(it).(string)
		if !ok {
			return nil, typeError("sequence item %d: expected str instance, %s found", i, TypeName(it))
		}
		if i > 0 {
			b.WriteString(s)
		}
		b.WriteString(str)
		if b.Len() > MaxSize {
			return nil, tooLarge()
		}
		i++
	}
	return b.String(), nil
}

func strZfill(s string, a []Value) (Value, error) {
	width, err := argIndex(a[0])
	if err != nil {
		return nil, err
	}
	n := width - cpLen(s)
	if n <= 0 {
		return s, nil
	}
	if n > MaxSize {
		return nil, tooLarge()
	}
	zeros := strings.Repeat("0", int(n))
	if s != "" && (s[0] == '+' || s[0] == '-') {
		return s[:1] + zeros + s[1:], nil
	}
	return zeros + s, nil
}

func strJustify(s string, a []Value, name string) (Value, error) {
	width, err := argIndex(a[0])
	if err != nil {
		return nil, err
	}
	fill := " "
	if a[1] != missing {
		f, ok := norm(a[1]).(string)
		if !ok {
			return nil, typeError("The fill character must be a unicode character, not %s", TypeName(a[1]))
		}
		if utf8.RuneCountInString(f) != 1 {
			return nil, typeError("The fill character must be exactly one character long")
		}
		fill = f
	}
	marg := width - cpLen(s)
	if marg <= 0 {
		return s, nil
	}
	if marg > MaxSize {
		return nil, tooLarge()
	}
	var left int64
	switch name {
	case "rjust":
		left = marg
	case "center":
		left = marg/2 + (marg & width & 1)
	}
	return strings.Repeat(fill, int(left)) + s + strings.Repeat(fill, int(marg-left)), nil
}

func strRemoveAffix(s string, v Value, name string) (Value, error) {
	affix, ok := norm(v).(string)
	if !ok {
		return nil, typeError("%s() argument must be str, not %s", name, TypeName(v))
	}
	if name == "removeprefix" {
		return strings.TrimPrefix(s, affix), nil
	}
	return strings.TrimSuffix(s, affix), nil
}

func strExpandtabs(s string, a []Value) (Value, error) {
	tab, err := optIndex(a[0], 8, false)
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	col := int64(0)
	for _, r := range s {
		switch {
		case r == '\t':
			if tab > 0 {
				n := tab - col%tab
				if int64(b.Len())+n > MaxSize {
					return nil, tooLarge()
				}
				b.WriteString(strings.Repeat(" ", int(n)))
				col += n
			}
		case r == '\n' || r == '\r':
			b.WriteRune(r)
			col = 0
		default:
			b.WriteRune(r)
			col++
		}
	}
	return b.String(), nil
}
