package value

import (
	"math"
	"math/big"
	"strconv"
	"strings"
	"unicode/utf8"
)

// formatSpec is a parsed format specification (the mini-language of format()).
type formatSpec struct {
	fill               rune
	align              byte // 0, '<', '>', '=', '^'
	sign               byte // 0, '+', '-', ' '
	z, alt             bool
	width              int
	group              byte // 0, ',', '_'
	prec               int  // -1: none
	typ                byte // 0: none
	hasFill, zeroWidth bool
}

func parseSpec(spec string, v Value) (formatSpec, error) {
	fs := formatSpec{fill: ' ', prec: -1}
	invalid := func() error {
		return valueError("Invalid format specifier '%s' for object of type '%s'", spec, TypeName(v))
	}
	isAlign := func(c byte) bool { return c == '<' || c == '>' || c == '=' || c == '^' }
	i := 0
	if r, n := utf8.DecodeRuneInString(spec); n > 0 && n < len(spec) && isAlign(spec[n]) {
		fs.fill, fs.hasFill, fs.align, i = r, true, spec[n], n+1
	} else if len(spec) > 0 && isAlign(spec[0]) {
		fs.align, i = spec[0], 1
	}
	if i < len(spec) && (spec[i] == '+' || spec[i] == '-' || spec[i] == ' ') {
		fs.sign, i = spec[i], i+1
	}
	if i < len(spec) && spec[i] == 'z' {
		fs.z, i = true, i+1
	}
	if i < len(spec) && spec[i] == '#' {
		fs.alt, i = true, i+1
	}
	if i < len(spec) && spec[i] == '0' {
		fs.zeroWidth, i = true, i+1
		if !fs.hasFill {
			fs.fill = '0'
		}
		if fs.align == 0 {
			fs.align = '='
		}
	}
	j := i
	for j < len(spec) && spec[j] >= '0' && spec[j] <= '9' {
		j++
	}
	if j > i {
		w, err := strconv.Atoi(spec[i:j])
		if err != nil || w > MaxSize {
			return fs, valueError("Too many decimal digits in format string")
		}
		fs.width, i = w, j
	}
	if i < len(spec) && (spec[i] == ',' || spec[i] == '_') {
		fs.group, i = spec[i], i+1
	}
	if i < len(spec) && spec[i] == '.' {
		j = i + 1
		for j < len(spec) && spec[j] >= '0' && spec[j] <= '9' {
			j++
		}
		if j == i+1 {
			return fs, valueError("Format specifier missing precision")
		}
		p, err := strconv.Atoi(spec[i+1 : j])
		if err != nil || p > MaxSize {
			return fs, valueError("Too many decimal digits in format string")
		}
		fs.prec, i = p, j
	}
	if len(spec)-i > 1 {
		return fs, invalid()
	}
	if i < len(spec) {
		fs.typ = spec[i]
	}
	if fs.group != 0 {
		switch fs.typ {
		case 0, 'd', 'e', 'E', 'f', 'F', 'g', 'G', '%':
		case 'b', 'o', 'x', 'X':
			if fs.group == '_' {
				break
			}
			fallthrough
		default:
			return fs, valueError("Cannot specify '%c' with '%c'.", fs.group, fs.typ)
		}
	}
	return fs, nil
}

// Format is Python's format(v, spec).
func Format(v Value, spec string) (string, error) {
	v = norm(v)
	if spec == "" {
		return Str(v)
	}
	switch x := v.(type) {
	case bool, int64, *big.Int:
		return formatInt(x, spec)
	case float64:
		return formatFloatSpec(x, spec)
	case string:
		return formatStr(x, spec)
	}
	return "", typeError("unsupported format string passed to %s.__format__", TypeName(v))
}

func unknownCode(typ byte, v Value) error {
	return valueError("Unknown format code '%c' for object of type '%s'", typ, TypeName(v))
}

func formatStr(s, spec string) (string, error) {
	fs, err := parseSpec(spec, s)
	if err != nil {
		return "", err
	}
	switch {
	case fs.typ != 0 && fs.typ != 's':
		return "", unknownCode(fs.typ, s)
	case fs.sign != 0:
		return "", valueError("Sign not allowed in string format specifier")
	case fs.alt:
		return "", valueError("Alternate form (#) not allowed in string format specifier")
	case fs.align == '=':
		return "", valueError("'=' alignment not allowed in string format specifier")
	case fs.group != 0:
		return "", valueError("Cannot specify '%c' with 's'.", fs.group)
	}
	if fs.prec >= 0 {
		s = truncRunes(s, fs.prec)
	}
	if fs.align == 0 {
		fs.align = '<'
	}
	return align(s, fs)
}

func formatInt(v Value, spec string) (string, error) {
	fs, err := parseSpec(spec, v)
	if err != nil {
		return "", err
	}
	base := 10
	switch fs.typ {
	case 0, 'd', 'n':
	case 'b':
		base = 2
	case 'o':
		base = 8
	case 'x', 'X':
		base = 16
	case 'c':
		switch {
		case fs.sign != 0:
			return "", valueError("Sign not allowed with integer format specifier 'c'")
		case fs.alt:
			return "", valueError("Alternate form (#) not allowed with integer format specifier 'c'")
		}
	case 'e', 'E', 'f', 'F', 'g', 'G', '%':
		f, err := intToFloat(v)
		if err != nil {
			return "", err
		}
		return formatFloatWith(f, fs)
	default:
		return "", unknownCode(fs.typ, v)
	}
	if fs.prec >= 0 {
		return "", valueError("Precision not allowed in integer format specifier")
	}
	if fs.typ == 'c' {
		s, err := pctChar(v)
		if err != nil {
			return "", Errorf("OverflowError", "%%c arg not in range(0x110000)")
		}
		if fs.align == 0 || fs.align == '=' && !fs.zeroWidth {
			fs.align = '>'
		}
		return align(s, fs)
	}
	b := bigOf(v)
	neg := b.Sign() < 0
	digits, err := intText(new(big.Int).Abs(b), base)
	if err != nil {
		return "", err
	}
	if fs.typ == 'X' {
		digits = strings.ToUpper(digits)
	}
	prefix := ""
	if fs.alt && base != 10 {
		prefix = "0" + string(fs.typ)
	}
	return layoutNumber(neg, prefix, digits, "", fs, groupSize(base))
}

func groupSize(base int) int {
	if base == 10 {
		return 3
	}
	return 4
}

func formatFloatSpec(f float64, spec string) (string, error) {
	fs, err := parseSpec(spec, f)
	if err != nil {
		return "", err
	}
	switch fs.typ {
	case 0, 'e', 'E', 'f', 'F', 'g', 'G', 'n', '%':
	default:
		return "", unknownCode(fs.typ, f)
	}
	return formatFloatWith(f, fs)
}

func formatFloatWith(f float64, fs formatSpec) (string, error) {
	neg := math.Signbit(f) && !math.IsNaN(f)
	typ, prec := fs.typ, fs.prec
	if typ == '%' {
		f *= 100
	}
	var body string
	switch {
	case math.IsNaN(f) || math.IsInf(f, 0):
		body = "nan"
		if math.IsInf(f, 0) {
			body = "inf"
		}
		if typ == 'E' || typ == 'F' || typ == 'G' {
			body = strings.ToUpper(body)
		}
		if typ == '%' {
			body += "%"
		}
	case typ == 0 && prec < 0:
		body = strings.TrimPrefix(FloatRepr(f), "-")
	default:
		if prec < 0 {
			prec = 6
		}
		verb := typ | 0x20
		switch typ {
		case 0:
			verb = 'r'
		case 'n':
			verb = 'g'
		case '%':
			verb = 'f'
		}
		body = formatFloat(f, verb, prec, fs.alt)
		if typ == 'E' || typ == 'G' {
			body = strings.ToUpper(body)
		}
		if typ == '%' {
			body += "%"
		}
	}
	if neg && fs.z && strings.Trim(body, "0.%") == "" {
		neg = false
	}
	intPart, rest := body, ""
	if math.IsNaN(f) || math.IsInf(f, 0) {
		intPart, rest = "", body
	} else if k := strings.IndexAny(body, ".eE%"); k >= 0 {
		intPart, rest = body[:k], body[k:]
	}
	return layoutNumber(neg, "", intPart, rest, fs, 3)
}

// layoutNumber lays out sign, prefix, grouped digits and the rest (fraction,
// exponent) with fill, alignment and width.
func layoutNumber(neg bool, prefix, digits, rest string, fs formatSpec, group int) (string, error) {
	sign := ""
	switch {
	case neg:
		sign = "-"
	case fs.sign == '+':
		sign = "+"
	case fs.sign == ' ':
		sign = " "
	}
	if fs.group != 0 {
		minWidth := 0
		if fs.align == '=' && fs.fill == '0' {
			minWidth = fs.width - len(sign) - len(prefix) - utf8.RuneCountInString(rest)
		}
		digits = groupDigits(digits, group, string(fs.group), minWidth)
	}
	if fs.align == 0 {
		fs.align = '>'
	}
	if fs.align == '=' {
		n := fs.width - len(sign) - len(prefix) - len(digits) - utf8.RuneCountInString(rest)
		if n > 0 {
			if n > MaxSize {
				return "", tooLarge()
			}
			digits = strings.Repeat(string(fs.fill), n) + digits
		}
		return sign + prefix + digits + rest, nil
	}
	return align(sign+prefix+digits+rest, fs)
}

// groupDigits inserts sep every size digits from the right, padding with
// zeros to minWidth as CPython's InsertThousandsGrouping.
func groupDigits(digits string, size int, sep string, minWidth int) string {
	var parts []string
	remaining := len(digits)
	for {
		l := min(size, max(remaining, minWidth, 1))
		zeros := max(0, l-remaining)
		chars := max(0, min(remaining, l))
		parts = append(parts, strings.Repeat("0", zeros)+digits[remaining-chars:remaining])
		remaining -= chars
		minWidth -= size
		if remaining <= 0 && minWidth <= 0 {
			break
		}
		minWidth -= len(sep)
	}
	for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
		parts[i], parts[j] = parts[j], parts[i]
	}
	return strings.Join(parts, sep)
}

// align pads s to the spec's width with its fill and alignment.
func align(s string, fs formatSpec) (string, error) {
	n := fs.width - utf8.RuneCountInString(s)
	if n <= 0 {
		return s, nil
	}
	if n > MaxSize {
		return "", tooLarge()
	}
	fill := string(fs.fill)
	switch fs.align {
	case '>', '=':
		return strings.Repeat(fill, n) + s, nil
	case '^':
		return strings.Repeat(fill, n/2) + s + strings.Repeat(fill, n-n/2), nil
	}
	return s + strings.Repeat(fill, n), nil
}
