package value

import (
	"strings"
	"unicode"
)

//go:generate sh -c "python3 testdata/genunicode/unicode.py | go run ./testdata/genunicode | gofmt > unicode_tables.go"

type runeRange struct{ lo, hi rune }

func inRanges(r rune, rs []runeRange) bool {
	for _, x := range rs {
		if r >= x.lo && r <= x.hi {
			return true
		}
	}
	return false
}

// Python's character properties (Objects/unicodectype.c).

func pyIsSpace(r rune) bool   { return unicode.IsSpace(r) || r >= 0x1c && r <= 0x1f }
func pyIsUpper(r rune) bool   { return unicode.IsUpper(r) || unicode.Is(unicode.Other_Uppercase, r) }
func pyIsLower(r rune) bool   { return unicode.IsLower(r) || unicode.Is(unicode.Other_Lowercase, r) }
func pyIsTitle(r rune) bool   { return unicode.IsTitle(r) }
func pyIsCased(r rune) bool   { return pyIsUpper(r) || pyIsLower(r) || pyIsTitle(r) }
func pyIsAlpha(r rune) bool   { return unicode.IsLetter(r) }
func pyIsDecimal(r rune) bool { return unicode.IsDigit(r) }
func pyIsDigit(r rune) bool   { return unicode.IsDigit(r) || inRanges(r, digitExtra) }
func pyIsNumeric(r rune) bool {
	return unicode.IsNumber(r) || inRanges(r, numericExtra)
}
func pyIsAlnum(r rune) bool { return pyIsAlpha(r) || pyIsDecimal(r) || pyIsDigit(r) || pyIsNumeric(r) }

// pyIsCaseIgnorable approximates Unicode's Case_Ignorable property.
func pyIsCaseIgnorable(r rune) bool {
	switch r {
	case '\'', '.', ':', '^', '`', 0xa8, 0xad, 0xaf, 0xb4, 0xb7, 0xb8, 0x2018, 0x2019, 0x2024, 0x2027:
		return true
	}
	return unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf, unicode.Lm, unicode.Sk)
}

func fullUpper(r rune) string {
	if s, ok := upperSpecial[r]; ok {
		return s
	}
	return string(unicode.ToUpper(r))
}

func fullTitle(r rune) string {
	if s, ok := titleSpecial[r]; ok {
		return s
	}
	return string(unicode.ToTitle(r))
}

func fullFold(r rune) string {
	if s, ok := foldSpecial[r]; ok {
		return s
	}
	return fullLowerSimple(r)
}

func fullLowerSimple(r rune) string {
	if s, ok := lowerSpecial[r]; ok {
		return s
	}
	return string(unicode.ToLower(r))
}

// lowerAt lower-cases rs[i], with the final sigma rule of Python's lower().
func lowerAt(rs []rune, i int) string {
	if rs[i] != 0x3a3 {
		return fullLowerSimple(rs[i])
	}
	before := false
	for j := i - 1; j >= 0; j-- {
		if !pyIsCaseIgnorable(rs[j]) {
			before = pyIsCased(rs[j])
			break
		}
	}
	after := false
	for j := i + 1; j < len(rs); j++ {
		if !pyIsCaseIgnorable(rs[j]) {
			after = pyIsCased(rs[j])
			break
		}
	}
	if before && !after {
		return "ς"
	}
	return "σ"
}

// Upper is Python's str.upper(): full case mapping ("ß" gives "SS").
func Upper(s string) string {
	var b strings.Builder
	for _, r := range s {
		b.WriteString(fullUpper(r))
	}
	return b.String()
}

// Lower is Python's str.lower(), with the final sigma rule.
func Lower(s string) string {
	rs := []rune(s)
	var b strings.Builder
	for i := range rs {
		b.WriteString(lowerAt(rs, i))
	}
	return b.String()
}

// Casefold is Python's str.casefold().
func Casefold(s string) string {
	var b strings.Builder
	for _, r := range s {
		b.WriteString(fullFold(r))
	}
	return b.String()
}

// Swapcase is Python's str.swapcase().
func Swapcase(s string) string {
	rs := []rune(s)
	var b strings.Builder
	for i, r := range rs {
		switch {
		case pyIsUpper(r):
			b.WriteString(lowerAt(rs, i))
		case pyIsLower(r):
			b.WriteString(fullUpper(r))
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Title is Python's str.title() (not the title filter of Jinja2).
func Title(s string) string {
	rs := []rune(s)
	var b strings.Builder
	prevCased := false
	for i, r := range rs {
		if prevCased {
			b.WriteString(lowerAt(rs, i))
		} else {
			b.WriteString(fullTitle(r))
		}
		prevCased = pyIsCased(r)
	}
	return b.String()
}

// Capitalize is Python's str.capitalize(): the first character title-cased, the rest lower-cased.
func Capitalize(s string) string {
	rs := []rune(s)
	var b strings.Builder
	for i, r := range rs {
		if i == 0 {
			b.WriteString(fullTitle(r))
		} else {
			b.WriteString(lowerAt(rs, i))
		}
	}
	return b.String()
}

// strIs reports whether s is non-empty and every character passes pred.
func strIs(s string, pred func(rune) bool) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !pred(r) {
			return false
		}
	}
	return true
}

func strIsUpper(s string) bool {
	cased := false
	for _, r := range s {
		if pyIsLower(r) || pyIsTitle(r) {
			return false
		}
		cased = cased || pyIsUpper(r)
	}
	return cased
}

func strIsLower(s string) bool {
	cased := false
	for _, r := range s {
		if pyIsUpper(r) || pyIsTitle(r) {
			return false
		}
		cased = cased || pyIsLower(r)
	}
	return cased
}

func strIsTitle(s string) bool {
	cased, prev := false, false
	for _, r := range s {
		switch {
		case pyIsUpper(r) || pyIsTitle(r):
			if prev {
				return false
			}
			prev, cased = true, true
		case pyIsLower(r):
			if !prev {
				return false
			}
			prev, cased = true, true
		default:
			prev = false
		}
	}
	return cased
}

func strIsIdentifier(s string) bool {
	for i, r := range s {
		ok := r == '_' || unicode.IsLetter(r) || unicode.Is(unicode.Nl, r)
		if i > 0 {
			ok = ok || unicode.In(r, unicode.Mn, unicode.Mc, unicode.Nd, unicode.Pc)
		}
		if !ok {
			return false
		}
	}
	return s != ""
}
