package syntax

import (
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/runenames"
)

// isPySpace is Python's str.isspace for one character (what `\s` matches in Jinja2's regexes).
func isPySpace(r rune) bool {
	return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f)
}

// skipSpace returns the end of the run of whitespace starting at i.
func skipSpace(s string, i int) int {
	for i < len(s) {
		c := s[i]
		if c < utf8.RuneSelf {
			if c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f) {
				i++
				continue
			}
			return i
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if !isPySpace(r) {
			return i
		}
		i += n
	}
	return i
}

// rstripPy is Python's str.rstrip().
func rstripPy(s string) string {
	return strings.TrimRightFunc(s, isPySpace)
}

func allPySpace(s string) bool { return skipSpace(s, 0) == len(s) }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// digitRun matches `(\d+_)*\d+` at i: digits in groups joined by single underscores.
func digitRun(s string, i int) (int, bool) {
	if i >= len(s) || !isDigit(s[i]) {
		return i, false
	}
	for {
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		if i+1 < len(s) && s[i] == '_' && isDigit(s[i+1]) {
			i++
			continue
		}
		return i, true
	}
}

// matchFloat matches Jinja2's float literal at i: digits with a fraction, an exponent or both,
// not right after a dot.
func matchFloat(s string, i int) (int, bool) {
	if i > 0 && s[i-1] == '.' {
		return 0, false
	}
	j, ok := digitRun(s, i)
	if !ok {
		return 0, false
	}
	frac := -1
	if j < len(s) && s[j] == '.' {
		if k, ok := digitRun(s, j+1); ok {
			frac = k
		}
	}
	k := j
	if frac >= 0 {
		k = frac
	}
	if k < len(s) && (s[k] == 'e' || s[k] == 'E') {
		e := k + 1
		if e < len(s) && (s[e] == '+' || s[e] == '-') {
			e++
		}
		if end, ok := digitRun(s, e); ok {
			return end, true
		}
	}
	if frac >= 0 {
		return frac, true
	}
	return 0, false
}

// matchInteger matches Jinja2's integer literal at i (0b, 0o, 0x prefixes, '_' separators).
func matchInteger(s string, i int) (int, bool) {
	if i >= len(s) || !isDigit(s[i]) {
		return 0, false
	}
	if s[i] == '0' && i+1 < len(s) {
		var ok func(byte) bool
		switch s[i+1] | 0x20 {
		case 'b':
			ok = func(c byte) bool { return c == '0' || c == '1' }
		case 'o':
			ok = func(c byte) bool { return c >= '0' && c <= '7' }
		case 'x':
			ok = func(c byte) bool { return isDigit(c) || (c|0x20 >= 'a' && c|0x20 <= 'f') }
		}
		if ok != nil {
			if end := underscored(s, i+2, ok); end > i+2 {
				return end, true
			}
		}
	}
	if s[i] == '0' {
		return underscored(s, i+1, func(c byte) bool { return c == '0' }), true
	}
	return underscored(s, i+1, isDigit), true
}

// underscored matches `(_?D)*` at i for the digit class ok.
func underscored(s string, i int, ok func(byte) bool) int {
	for {
		switch {
		case i < len(s) && ok(s[i]):
			i++
		case i+1 < len(s) && s[i] == '_' && ok(s[i+1]):
			i += 2
		default:
			return i
		}
	}
}

func floatLiteral(text string) float64 {
	f, _ := strconv.ParseFloat(strings.ReplaceAll(text, "_", ""), 64) // out of range: ±Inf or 0, as Python
	return f
}

// isNameChar is a character of Jinja2's name pattern: Python's \w plus the other characters
// that may continue an identifier.
func isNameChar(r rune) bool {
	if r < utf8.RuneSelf {
		return r == '_' || isDigit(byte(r)) || (r|0x20 >= 'a' && r|0x20 <= 'z')
	}
	return unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.In(r, unicode.Mn, unicode.Mc, unicode.Pc) ||
		r == 0xb7 || r == 0x387 || r == 0x2118 || r == 0x212e
}

func ascii(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func matchName(s string, i int) int {
	for i < len(s) {
		c := s[i]
		if c < utf8.RuneSelf {
			if c == '_' || isDigit(c) || (c|0x20 >= 'a' && c|0x20 <= 'z') {
				i++
				continue
			}
			return i
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError || !isNameChar(r) {
			return i
		}
		i += n
	}
	return i
}

// isIdentifier is Python's str.isidentifier (Jinja2 refuses other names).
func isIdentifier(s string) bool {
	if ascii(s) {
		return s != "" && !isDigit(s[0])
	}
	for i, r := range s {
		start := r == '_' || unicode.IsLetter(r) || unicode.Is(unicode.Nl, r) ||
			r == 0x2118 || r == 0x212e || r == 0x1885 || r == 0x1886 || r == 0x309b || r == 0x309c
		if i == 0 {
			if !start {
				return false
			}
			continue
		}
		if !start && !unicode.In(r, unicode.Mn, unicode.Mc, unicode.Nd, unicode.Pc) &&
			r != 0xb7 && r != 0x387 && r != 0x19da && (r < 0x1369 || r > 0x1371) {
			return false
		}
	}
	return s != ""
}

// matchString matches a quoted string literal at i (backslash escapes any character).
func matchString(s string, i int) (int, bool) {
	if i >= len(s) || (s[i] != '\'' && s[i] != '"') {
		return 0, false
	}
	q := s[i]
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			j++
		case q:
			return j + 1, true
		}
	}
	return 0, false
}

func matchOperator(s string, i int) (TokenKind, int) {
	var next byte
	if i+1 < len(s) {
		next = s[i+1]
	}
	switch s[i] {
	case '+':
		return TokAdd, 1
	case '-':
		return TokSub, 1
	case '/':
		if next == '/' {
			return TokFloorDiv, 2
		}
		return TokDiv, 1
	case '*':
		if next == '*' {
			return TokPow, 2
		}
		return TokMul, 1
	case '%':
		return TokMod, 1
	case '~':
		return TokTilde, 1
	case '[':
		return TokLBracket, 1
	case ']':
		return TokRBracket, 1
	case '(':
		return TokLParen, 1
	case ')':
		return TokRParen, 1
	case '{':
		return TokLBrace, 1
	case '}':
		return TokRBrace, 1
	case '=':
		if next == '=' {
			return TokEq, 2
		}
		return TokAssign, 1
	case '!':
		if next == '=' {
			return TokNe, 2
		}
	case '>':
		if next == '=' {
			return TokGtEq, 2
		}
		return TokGt, 1
	case '<':
		if next == '=' {
			return TokLtEq, 2
		}
		return TokLt, 1
	case '.':
		return TokDot, 1
	case ':':
		return TokColon, 1
	case '|':
		return TokPipe, 1
	case ',':
		return TokComma, 1
	case ';':
		return TokSemicolon, 1
	}
	return 0, 0
}

// decodeString decodes the text of a string literal as Jinja2 does: non-ASCII characters are
// first written as Python escapes, then the whole is decoded with Python's unicode-escape codec.
// It returns the message of Jinja2's error for a malformed escape.
func decodeString(raw string) (string, string) {
	if strings.IndexByte(raw, '\\') < 0 {
		return raw, ""
	}
	var esc strings.Builder
	for _, r := range raw {
		switch {
		case r < utf8.RuneSelf:
			esc.WriteByte(byte(r))
		case r < 0x100:
			esc.WriteString(`\x` + hex(uint64(r), 2))
		case r < 0x10000:
			esc.WriteString(`\u` + hex(uint64(r), 4))
		default:
			esc.WriteString(`\U` + hex(uint64(r), 8))
		}
	}
	s := esc.String()
	var out strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			out.WriteByte(c)
			continue
		}
		i++
		if i >= len(s) {
			return "", `\ at end of string`
		}
		switch c = s[i]; c {
		case '\n':
		case '\\', '\'', '"':
			out.WriteByte(c)
		case 'a':
			out.WriteByte(7)
		case 'b':
			out.WriteByte(8)
		case 't':
			out.WriteByte('\t')
		case 'n':
			out.WriteByte('\n')
		case 'v':
			out.WriteByte(11)
		case 'f':
			out.WriteByte(12)
		case 'r':
			out.WriteByte('\r')
		case '0', '1', '2', '3', '4', '5', '6', '7':
			v, j := 0, i
			for ; j < len(s) && j < i+3 && s[j] >= '0' && s[j] <= '7'; j++ {
				v = v*8 + int(s[j]-'0')
			}
			out.WriteRune(rune(v))
			i = j - 1
		case 'x', 'u', 'U':
			width := map[byte]int{'x': 2, 'u': 4, 'U': 8}[c]
			if !allHex(s[i+1:min(len(s), i+1+width)], width) {
				return "", truncated(c)
			}
			v, _ := strconv.ParseUint(s[i+1:i+1+width], 16, 32)
			if v > unicode.MaxRune {
				return "", "illegal Unicode character"
			}
			out.WriteRune(rune(v))
			i += width
		case 'N':
			if i+1 >= len(s) || s[i+1] != '{' {
				return "", `malformed \N character escape`
			}
			end := strings.IndexByte(s[i+2:], '}')
			if end <= 0 {
				return "", `malformed \N character escape`
			}
			r, ok := lookupRuneName(s[i+2 : i+2+end])
			if !ok {
				return "", "unknown Unicode character name"
			}
			out.WriteRune(r)
			i += 2 + end
		default:
			out.WriteByte('\\')
			out.WriteByte(c)
		}
	}
	return out.String(), ""
}

func allHex(s string, width int) bool {
	if len(s) != width {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i] | 0x20
		if !isDigit(s[i]) && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

func truncated(c byte) string {
	switch c {
	case 'x':
		return `truncated \xXX escape`
	case 'u':
		return `truncated \uXXXX escape`
	}
	return `truncated \UXXXXXXXX escape`
}

var (
	runeNamesOnce sync.Once
	runeNames     map[string]rune
)

// lookupRuneName finds a character by its Unicode name, case-insensitively, as \N{...} does.
func lookupRuneName(name string) (rune, bool) {
	name = strings.ToUpper(name)
	if hexPart, ok := strings.CutPrefix(name, "CJK UNIFIED IDEOGRAPH-"); ok && (len(hexPart) == 4 || len(hexPart) == 5) && allHex(hexPart, len(hexPart)) {
		v, _ := strconv.ParseUint(hexPart, 16, 32)
		if strings.HasPrefix(runenames.Name(rune(v)), "<CJK Ideograph") {
			return rune(v), true
		}
		return 0, false
	}
	runeNamesOnce.Do(func() {
		runeNames = make(map[string]rune, 40000)
		for r := rune(0); r <= unicode.MaxRune; r++ {
			if n := runenames.Name(r); n != "" && n[0] != '<' {
				runeNames[n] = r
			}
		}
	})
	r, ok := runeNames[name]
	return r, ok
}
