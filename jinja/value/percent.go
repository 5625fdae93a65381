package value

import (
	"math"
	"math/big"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Percent is Python's format % args (printf-style formatting).
func Percent(format string, args Value) (string, error) {
	return newPercent(format, args).run()
}

func newPercent(format string, args Value) *percent {
	args = norm(args)
	p := &percent{format: format, args: args, argIdx: -2, argLen: -1}
	if t, ok := args.(Tuple); ok {
		p.argIdx, p.argLen = 0, len(t)
	} else {
		switch args.(type) {
		case *Dict, *List, *Range, *Undefined, ItemGetter:
			p.mapping = args
		}
	}
	return p
}

type percent struct {
	format         string
	args, mapping  Value
	argIdx, argLen int
	escape         bool // Markup's %: the arguments escaped (percentEscaped)
	out            strings.Builder
}

func (p *percent) nextArg() (Value, error) {
	if p.argLen < 0 {
		if p.argIdx == -2 {
			p.argIdx = -1
			return p.args, nil
		}
	} else if p.argIdx < p.argLen {
		p.argIdx++
		return p.args.(Tuple)[p.argIdx-1], nil
	}
	return nil, typeError("not enough arguments for format string")
}

type pctSpec struct {
	minus, plus, space, alt, zero bool
	width, prec                   int // prec -1: none
}

func (p *percent) run() (string, error) {
	f := p.format
	i := 0
	for i < len(f) {
		j := strings.IndexByte(f[i:], '%')
		if j < 0 {
			p.out.WriteString(f[i:])
			break
		}
		p.out.WriteString(f[i : i+j])
		i += j + 1
		if i < len(f) && f[i] == '%' {
			p.out.WriteByte('%')
			i++
			continue
		}
		next, err := p.conversion(i)
		if err != nil {
			return "", err
		}
		i = next
	}
	if p.argIdx < p.argLen && p.mapping == nil {
		return "", typeError("not all arguments converted during string formatting")
	}
	return p.out.String(), nil
}

// conversion formats the conversion starting at f[i] (after the '%') and
// returns the index after it.
func (p *percent) conversion(i int) (int, error) {
	f := p.format
	var arg Value
	haveArg := false
	if i < len(f) && f[i] == '(' {
		if p.mapping == nil {
			return 0, typeError("format requires a mapping")
		}
		depth, start := 1, i+1
		for i++; i < len(f) && depth > 0; i++ {
			switch f[i] {
			case '(':
				depth++
			case ')':
				depth--
			}
		}
		if depth > 0 {
			return 0, valueError("incomplete format key")
		}
		v, err := GetItem(p.mapping, f[start:i-1])
		if err != nil {
			return 0, err
		}
		arg, haveArg = v, true
	}
	sp := pctSpec{prec: -1}
flags:
	for ; i < len(f); i++ {
		switch f[i] {
		case '-':
			sp.minus = true
		case '+':
			sp.plus = true
		case ' ':
			sp.space = true
		case '#':
			sp.alt = true
		case '0':
			sp.zero = true
		default:
			break flags
		}
	}
	var err error
	if sp.width, i, err = p.number(i); err != nil {
		return 0, err
	}
	if sp.width < 0 {
		sp.minus, sp.width = true, -sp.width
	}
	if i < len(f) && f[i] == '.' {
		if sp.prec, i, err = p.number(i + 1); err != nil {
			return 0, err
		}
		if sp.prec < 0 {
			sp.prec = 0
		}
	}
	for i < len(f) && (f[i] == 'h' || f[i] == 'l' || f[i] == 'L') {
		i++
	}
	if i >= len(f) {
		return 0, valueError("incomplete format")
	}
	c, size := utf8.DecodeRuneInString(f[i:])
	if !strings.ContainsRune("sradiuoxXeEfFgGc", c) {
		shown := c
		if c > 127 {
			shown = '?'
		}
		return 0, valueError("unsupported format character '%c' (0x%x) at index %d", shown, c, utf8.RuneCountInString(f[:i]))
	}
	if !haveArg {
		if arg, err = p.nextArg(); err != nil {
			return 0, err
		}
	}
	var s string
	if p.escape {
		s, err = escapedConversion(byte(c), sp, arg)
	} else {
		if c != 'r' && c != 'a' {
			arg = norm(arg) // (repr and ascii tell a Markup from a str)
		}
		s, err = pctFormat(byte(c), sp, arg)
	}
	if err != nil {
		return 0, err
	}
	p.out.WriteString(s)
	return i + size, nil
}

// number reads a width or precision: digits, or '*' taking an int argument.
func (p *percent) number(i int) (int, int, error) {
	f := p.format
	if i < len(f) && f[i] == '*' {
		v, err := p.nextArg()
		if err != nil {
			return 0, 0, err
		}
		n, ok := small(norm(v))
		if !isInt(norm(v)) || !ok {
			return 0, 0, typeError("* wants int")
		}
		return int(n), i + 1, nil
	}
	j := i
	for j < len(f) && f[j] >= '0' && f[j] <= '9' {
		j++
	}
	if j == i {
		return 0, i, nil
	}
	n, err := strconv.Atoi(f[i:j])
	if err != nil || n > MaxSize {
		return 0, 0, valueError("width too big")
	}
	return n, j, nil
}

func pctFormat(c byte, sp pctSpec, arg Value) (string, error) {
	switch c {
	case 's', 'r', 'a':
		var s string
		var err error
		switch c {
		case 's':
			s, err = Str(arg)
		case 'r':
			s, err = Repr(arg)
		default:
			s, err = ASCII(arg)
		}
		if err != nil {
			return "", err
		}
		if sp.prec >= 0 {
			s = truncRunes(s, sp.prec)
		}
		return pad(s, sp.width, sp.minus, ' ')
	case 'c':
		s, err := pctChar(arg)
		if err != nil {
			return "", err
		}
		return pad(s, sp.width, sp.minus, ' ')
	}
	if u, ok := arg.(*Undefined); ok {
		return "", u.Err()
	}
	var sign, prefix, body string
	switch c {
	case 'd', 'i', 'u', 'o', 'x', 'X':
		n := arg
		if f, ok := arg.(float64); ok && (c == 'd' || c == 'i' || c == 'u') {
			var err error
			if n, err = truncFloat(f); err != nil {
				return "", err
			}
		} else if !isInt(arg) {
			if c == 'd' || c == 'i' || c == 'u' {
				return "", typeError("%%%c format: a real number is required, not %s", c, TypeName(arg))
			}
			return "", typeError("%%%c format: an integer is required, not %s", c, TypeName(arg))
		}
		base := map[byte]int{'o': 8, 'x': 16, 'X': 16}[c]
		if base == 0 {
			base = 10
		}
		b := bigOf(n)
		if b.Sign() < 0 {
			sign = "-"
		}
		var err error
		if body, err = intText(new(big.Int).Abs(b), base); err != nil {
			return "", err
		}
		if c == 'X' {
			body = strings.ToUpper(body)
		}
		if sp.alt && base != 10 {
			prefix = "0" + string(c)
		}
		if sp.prec > len(body) {
			body = strings.Repeat("0", sp.prec-len(body)) + body
		}
	default: // e E f F g G
		if !isNumber(arg) {
			return "", typeError("must be real number, not %s", TypeName(arg))
		}
		f, err := asFloat(arg)
		if err != nil {
			return "", err
		}
		if math.Signbit(f) && !math.IsNaN(f) {
			sign = "-"
		}
		prec := sp.prec
		if prec < 0 {
			prec = 6
		}
		body = floatBody(f, c, prec, sp.alt)
	}
	if sign == "" && sp.plus {
		sign = "+"
	} else if sign == "" && sp.space {
		sign = " "
	}
	if sp.zero && !sp.minus {
		if n := sp.width - len(sign) - len(prefix) - len(body); n > 0 {
			body = strings.Repeat("0", n) + body
		}
	}
	return pad(sign+prefix+body, sp.width, sp.minus, ' ')
}

// floatBody formats |f| for the conversion c (e E f F g G), inf and nan included.
func floatBody(f float64, c byte, prec int, alt bool) string {
	lower := c | 0x20
	var s string
	switch {
	case math.IsNaN(f):
		s = "nan"
	case math.IsInf(f, 0):
		s = "inf"
	default:
		s = formatFloat(f, lower, prec, alt)
	}
	if c != lower {
		s = strings.ToUpper(s)
	}
	return s
}

func truncFloat(f float64) (Value, error) {
	switch {
	case math.IsNaN(f):
		return nil, valueError("cannot convert float NaN to integer")
	case math.IsInf(f, 0):
		return nil, Errorf("OverflowError", "cannot convert float infinity to integer")
	}
	f = math.Trunc(f)
	if math.Abs(f) < 1<<62 {
		return int64(f), nil
	}
	b, _ := big.NewFloat(f).Int(nil)
	return normBig(b), nil
}

func pctChar(arg Value) (string, error) {
	if s, ok := arg.(string); ok && utf8.RuneCountInString(s) == 1 {
		return s, nil
	}
	if !isInt(arg) {
		return "", typeError("%%c requires int or char")
	}
	n, ok := small(arg)
	if !ok || n < 0 || n > 0x10ffff {
		return "", Errorf("OverflowError", "%%c arg not in range(0x110000)")
	}
	return string(rune(n)), nil
}

// pad pads s with fill to width code points, on the right when left.
func pad(s string, width int, left bool, fill rune) (string, error) {
	n := width - utf8.RuneCountInString(s)
	if n <= 0 {
		return s, nil
	}
	if n > MaxSize {
		return "", tooLarge()
	}
	p := strings.Repeat(string(fill), n)
	if left {
		return s + p, nil
	}
	return p + s, nil
}

func truncRunes(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}

// ASCII is Python's ascii(v): repr with non-ASCII characters escaped.
func ASCII(v Value) (string, error) {
	s, err := Repr(v)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r < 0x80:
			b.WriteRune(r)
		case r < 0x100:
			b.WriteString(`\x` + hex(int64(r), 2))
		case r < 0x10000:
			b.WriteString(`\u` + hex(int64(r), 4))
		default:
			b.WriteString(`\U` + hex(int64(r), 8))
		}
	}
	return b.String(), nil
}

func hex(n int64, width int) string {
	s := strconv.FormatInt(n, 16)
	return strings.Repeat("0", width-len(s)) + s
}
