package value

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"unicode"
)

// MaxStrDigits is CPython's limit on converting an int to decimal text
// (sys.get_int_max_str_digits()).
const MaxStrDigits = 4300

// Str is Python's str(v). It fails on a strict Undefined (and on an int of
// more than MaxStrDigits digits, as CPython).
func Str(v Value) (string, error) {
	switch x := norm(v).(type) {
	case string:
		return x, nil
	case *Undefined:
		if x.Strict {
			return "", x.Err()
		}
		return "", nil
	case Stringer:
		return x.PyStr()
	}
	return Repr(v)
}

// Repr is Python's repr(v). It fails on an int of more than MaxStrDigits
// digits, as CPython, and on a text longer than MaxSize.
func Repr(v Value) (string, error) {
	var b strings.Builder
	err := writeRepr(&b, v, nil)
	return b.String(), err
}

// intText writes the int b in base; decimal text is refused beyond
// MaxStrDigits digits as CPython does.
func intText(b *big.Int, base int) (string, error) {
	s := b.Text(base)
	if base == 10 && len(strings.TrimPrefix(s, "-")) > MaxStrDigits {
		return "", valueError("Exceeds the limit (%d digits) for integer string conversion; use sys.set_int_max_str_digits() to increase the limit", MaxStrDigits)
	}
	return s, nil
}

// ReprString is Repr for messages: an int too long to print shows as "<int>".
func ReprString(v Value) string {
	s, err := Repr(v)
	if err != nil {
		return "<" + TypeName(v) + ">"
	}
	return s
}

func writeRepr(b *strings.Builder, v Value, seen []any) error {
	if m, ok := v.(Markup); ok {
		b.WriteString("Markup(" + QuoteString(string(m)) + ")")
		return nil
	}
	switch x := norm(v).(type) {
	case nil:
		b.WriteString("None")
	case bool:
		if x {
			b.WriteString("True")
		} else {
			b.WriteString("False")
		}
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
	case *big.Int:
		s, err := intText(x, 10)
		if err != nil {
			return err
		}
		b.WriteString(s)
	case float64:
		b.WriteString(FloatRepr(x))
	case string:
		b.WriteString(QuoteString(x))
	case *List:
		if isSeen(seen, x) {
			b.WriteString("[...]")
			return nil
		}
		return writeItems(b, "[", "]", x.Items, append(seen, x))
	case Tuple:
		if len(x) == 1 {
			b.WriteString("(")
			if err := writeRepr(b, x[0], seen); err != nil {
				return err
			}
			b.WriteString(",)")
			return nil
		}
		return writeItems(b, "(", ")", x, seen)
	case *Dict:
		if isSeen(seen, x) {
			b.WriteString("{...}")
			return nil
		}
		return writeDict(b, x, append(seen, x))
	case *DictView:
		b.WriteString(x.typeName() + "(")
		items, _ := ToList(x)
		if err := writeItems(b, "[", "]", items, append(seen, x.Dict)); err != nil {
			return err
		}
		b.WriteString(")")
	case *Range:
		b.WriteString(x.repr())
	case *Undefined:
		b.WriteString("Undefined")
	case *Namespace:
		if isSeen(seen, x) {
			b.WriteString("<Namespace {...}>")
			return nil
		}
		b.WriteString("<Namespace ")
		if err := writeDict(b, x.Attrs, append(seen, x)); err != nil {
			return err
		}
		b.WriteString(">")
	case *Func:
		if x.Bound {
			fmt.Fprintf(b, "<built-in method %s of %s object>", x.Name, TypeName(x.Self))
		} else {
			fmt.Fprintf(b, "<built-in function %s>", x.Name)
		}
	case Reprer:
		b.WriteString(x.PyRepr())
	default:
		fmt.Fprintf(b, "<%s object>", TypeName(v))
	}
	return nil
}

func isSeen(seen []any, p any) bool {
	for _, s := range seen {
		if s == p {
			return true
		}
	}
	return false
}

func writeItems(b *strings.Builder, open, close string, items []Value, seen []any) error {
	b.WriteString(open)
	for i, it := range items {
		if b.Len() > MaxSize {
			return tooLarge()
		}
		if i > 0 {
			b.WriteString(", ")
		}
		if err := writeRepr(b, it, seen); err != nil {
			return err
		}
	}
	b.WriteString(close)
	return nil
}

func writeDict(b *strings.Builder, d *Dict, seen []any) error {
	b.WriteString("{")
	for i, e := range d.entries {
		if b.Len() > MaxSize {
			return tooLarge()
		}
		if i > 0 {
			b.WriteString(", ")
		}
		if err := writeRepr(b, e.Key, seen); err != nil {
			return err
		}
		b.WriteString(": ")
		if err := writeRepr(b, e.Value, seen); err != nil {
			return err
		}
	}
	b.WriteString("}")
	return nil
}

// QuoteString is Python's repr of a str: single quotes unless the text has
// a single quote and no double quote; \t \n \r \\ and the quote escaped,
// other non-printable characters as \xNN, \uNNNN or \UNNNNNNNN.
func QuoteString(s string) string {
	q := byte('\'')
	if strings.IndexByte(s, '\'') >= 0 && strings.IndexByte(s, '"') < 0 {
		q = '"'
	}
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte(q)
	for _, r := range s {
		switch {
		case r == rune(q) || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r < 0x7f:
			b.WriteRune(r)
		case isPrintable(r):
			b.WriteRune(r)
		case r < 0x100:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r < 0x10000:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			fmt.Fprintf(&b, `\U%08x`, r)
		}
	}
	b.WriteByte(q)
	return b.String()
}

// isPrintable is Python's str.isprintable for one character.
func isPrintable(r rune) bool { return unicode.IsPrint(r) }
