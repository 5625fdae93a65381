package value

import (
	"html"
	"strings"
)

// Markup is MarkupSafe's Markup (2.1 and 3.0 behave alike): a str that is safe HTML, because it
// was escaped or marked safe. It is a str everywhere (equality, hashing, ordering, len, in,
// iteration, str(), format()), except that:
//   - its repr is "Markup('...')" and its type name "Markup";
//   - m + s, s + m, m % args, m.join(...), m.format(...), m.replace(old, new) and the fill
//     character of ljust/rjust/center escape their str arguments (not a Markup) and give a Markup;
//   - m * n, m[i], m[a:b] and the str methods that return text (upper, strip, split, partition...)
//     give Markup; iterating gives plain str, as in Python;
//   - m.unescape() and m.striptags() give a plain str.
type Markup string

// HTMLer is a value that is already HTML (MarkupSafe's __html__ protocol): escape and
// autoescaping keep its HTML as is.
type HTMLer interface{ HTML() string }

// HTML is __html__: the markup itself.
func (m Markup) HTML() string { return string(m) }

var htmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "'", "&#39;", `"`, "&#34;")

// EscapeString is markupsafe.escape of a str: & < > ' " as HTML entities.
func EscapeString(s string) string { return htmlEscaper.Replace(s) }

// Escape is markupsafe.escape(v): the HTML of an HTMLer as is, else str(v) escaped. It fails
// only where str(v) does (a strict Undefined).
func Escape(v Value) (Markup, error) {
	switch x := v.(type) {
	case string:
		return Markup(EscapeString(x)), nil
	case HTMLer:
		return Markup(x.HTML()), nil
	}
	s, err := Str(v)
	if err != nil {
		return "", err
	}
	return Markup(EscapeString(s)), nil
}

func isMarkup(v Value) bool { _, ok := v.(Markup); return ok }

// markupBinary is a op b when a or b is a Markup: + escapes the other operand, * repeats, %
// formats with escaped arguments; the other operators are unsupported.
func markupBinary(op string, a, b Value) (Value, error) {
	ma, aIsMarkup := a.(Markup)
	switch op {
	case "+":
		if isTextLike(a) && isTextLike(b) {
			x, _ := Escape(a)
			y, _ := Escape(b)
			if len(x)+len(y) > MaxSize {
				return nil, tooLarge()
			}
			return x + y, nil
		}
	case "*":
		seq, n := a, b
		if !aIsMarkup {
			if err := undefErr(a); err != nil {
				return nil, err
			}
			seq, n = b, a
		}
		if !isInt(norm(n)) {
			return nil, typeError("'%s' object cannot be interpreted as an integer", TypeName(n))
		}
		r, err := Mul(string(seq.(Markup)), n)
		if err != nil {
			return nil, err
		}
		return Markup(r.(string)), nil
	case "%":
		if aIsMarkup {
			s, err := percentEscaped(string(ma), b)
			return Markup(s), err
		}
		if s, ok := a.(string); ok { // str % Markup: str's formatting
			return Percent(s, b)
		}
	}
	if err := undefErr(a, b); err != nil {
		return nil, err
	}
	if op == "**" {
		op = "** or pow()"
	}
	return nil, unsupported(op, a, b)
}

// isTextLike is isinstance(v, str) or hasattr(v, "__html__").
func isTextLike(v Value) bool {
	switch norm(v).(type) {
	case string, HTMLer:
		return true
	}
	return false
}

// markupResult says what a Markup method makes of the str method's result and which argument
// it escapes first.
type markupResult int

const (
	mkStr       markupResult = iota // the str method as is
	mkMarkup                        // the result as a Markup
	mkEscArg1                       // the second argument escaped, the result as a Markup
	mkList                          // a list of Markup
	mkTuple                         // a tuple of Markup
	mkJoin                          // join: every item escaped
	mkFormat                        // format and format_map: every field escaped
	mkUnescape                      // unescape and striptags: a plain str
	mkStripTags                     //
)

var markupMethods = map[string]markupResult{
	"capitalize": mkMarkup, "title": mkMarkup, "lower": mkMarkup, "upper": mkMarkup,
	"lstrip": mkMarkup, "rstrip": mkMarkup, "strip": mkMarkup, "translate": mkMarkup,
	"expandtabs": mkMarkup, "swapcase": mkMarkup, "zfill": mkMarkup, "casefold": mkMarkup,
	"removeprefix": mkMarkup, "removesuffix": mkMarkup,
	"replace": mkEscArg1, "ljust": mkEscArg1, "rjust": mkEscArg1, "center": mkEscArg1,
	"split": mkList, "rsplit": mkList, "splitlines": mkList,
	"partition": mkTuple, "rpartition": mkTuple,
	"join": mkJoin, "format": mkFormat, "format_map": mkFormat,
	"unescape": mkUnescape, "striptags": mkStripTags,
}

// markupMethod is the method name of a Markup bound to m.
func markupMethod(m Markup, name string) (Callable, bool) {
	kind := markupMethods[name]
	bound := func(fn func(args []Value, kwargs []Kwarg) (Value, error)) (Callable, bool) {
		return &Func{Name: name, Bound: true, Self: m, Fn: fn}, true
	}
	switch kind {
	case mkFormat:
		return bound(func(args []Value, kwargs []Kwarg) (Value, error) {
			if name == "format_map" {
				if len(kwargs) > 0 || len(args) != 1 {
					return nil, typeError("Markup.format_map() takes 2 positional arguments but %d were given", len(args)+len(kwargs)+1)
				}
				d, ok := args[0].(*Dict)
				if !ok {
					return nil, typeError("'%s' object is not subscriptable", TypeName(args[0]))
				}
				args, kwargs = nil, nil
				for k, v := range d.All() {
					if ks, ok := norm(k).(string); ok {
						kwargs = append(kwargs, Kwarg{Name: ks, Value: v})
					}
				}
			}
			f := &formatter{args: args, kwargs: kwargs, escape: true}
			s, err := f.expand(string(m), 2)
			return Markup(s), err
		})
	case mkUnescape, mkStripTags:
		return bound(func(args []Value, kwargs []Kwarg) (Value, error) {
			if len(args)+len(kwargs) > 0 {
				return nil, typeError("Markup.%s() takes 1 positional argument but %d were given", name, len(args)+len(kwargs)+1)
			}
			if kind == mkStripTags {
				return StripTags(string(m)), nil
			}
			return html.UnescapeString(string(m)), nil
		})
	}
	base, ok := Method(string(m), name)
	if !ok || kind == mkStr {
		return base, ok
	}
	return bound(func(args []Value, kwargs []Kwarg) (Value, error) {
		switch kind {
		case mkEscArg1:
			if len(args) > 1 {
				e, err := Escape(args[1])
				if err != nil {
					return nil, err
				}
				args = append(append([]Value{}, args[:1]...), append([]Value{string(e)}, args[2:]...)...)
			}
		case mkJoin:
			if len(args) == 1 && len(kwargs) == 0 {
				if err := strictErr(args[0]); err != nil {
					return nil, err
				}
				seq, err := Iterate(args[0])
				if err != nil {
					return nil, typeError("'%s' object is not iterable", TypeName(args[0]))
				}
				var items []Value
				for it := range seq {
					e, err := Escape(it)
					if err != nil {
						return nil, err
					}
					items = append(items, string(e))
				}
				args = []Value{NewList(items...)}
			}
		}
		r, err := base.Call(args, kwargs)
		if err != nil {
			return nil, err
		}
		switch x := r.(type) {
		case string:
			return Markup(x), nil
		case *List:
			for i, it := range x.Items {
				x.Items[i] = Markup(it.(string))
			}
		case Tuple:
			for i, it := range x {
				x[i] = Markup(it.(string))
			}
		}
		return r, nil
	})
}

// percentEscaped is Markup.__mod__: format % args with every argument wrapped in MarkupSafe's
// _MarkupEscapeHelper (%s, %r and %a escape the text; %d and %f convert with int() and
// float()).
func percentEscaped(format string, args Value) (string, error) {
	p := newPercent(format, args)
	p.escape = true
	if isMarkup(args) {
		p.args = args // a single argument, kept safe
	}
	return p.run()
}

// escapedConversion is one conversion of percentEscaped: the argument as the helper gives it to
// str's formatting.
func escapedConversion(c byte, sp pctSpec, arg Value) (string, error) {
	var text string
	switch c {
	case 's', 'r', 'a':
		var err error
		if h, isHTML := arg.(HTMLer); isHTML && c == 's' {
			return pctFormat('s', sp, h.HTML())
		}
		switch c {
		case 's':
			text, err = Str(arg)
		case 'r':
			text, err = Repr(arg)
		default:
			text, err = ASCII(arg)
		}
		if err != nil {
			return "", err
		}
		return pctFormat('s', sp, EscapeString(text))
	case 'c':
		return "", typeError("%%c requires int or char")
	case 'o', 'x', 'X':
		return "", typeError("%%%c format: an integer is required, not _MarkupEscapeHelper", c)
	case 'd', 'i', 'u':
		n, err := Int(arg, nil)
		if err != nil {
			if IsKind(err, "TypeError") {
				return "", typeError("%%%c format: a real number is required, not _MarkupEscapeHelper", c)
			}
			return "", err
		}
		return pctFormat(c, sp, n)
	}
	f, err := Float(arg)
	if err != nil {
		return "", err
	}
	return pctFormat(c, sp, f)
}

// escapedField is EscapeFormatter.format_field: a Markup as is (no format spec allowed), any
// other value formatted then escaped.
func escapedField(v Value, spec string) (string, error) {
	if h, ok := v.(HTMLer); ok {
		if spec != "" {
			return "", valueError("Unsupported format specification for Markup.")
		}
		return h.HTML(), nil
	}
	s, err := Format(v, spec)
	if err != nil {
		return "", err
	}
	return EscapeString(s), nil
}

// StripTags is Markup.striptags: comments, then tags, removed; whitespace runs collapsed to one
// space; HTML entities unescaped.
func StripTags(s string) string {
	s = removeSpans(removeSpans(s, "<!--", "-->"), "<", ">")
	return html.UnescapeString(strings.Join(strings.FieldsFunc(s, pyIsSpace), " "))
}

// removeSpans is markupsafe's loop `while (start := s.find(open)) != -1: end := s.find(close,
// start) ...; s = s[:start] + s[end+len(close):]` in linear time: the text kept so far
// (buf[:w]) holds no open marker except across its end, where a removal may form one.
func removeSpans(s, open, close string) string {
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
