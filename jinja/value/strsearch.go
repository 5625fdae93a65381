package value

import (
	"strings"
	"unicode/utf8"
)

// Code point helpers of the str methods: Python indexes str by code point.

func cpLen(s string) int64 { return int64(utf8.RuneCountInString(s)) }

// cpOffset is the byte offset of the code point index i (0 <= i <= len).
func cpOffset(s string, i int64) int {
	if i <= 0 {
		return 0
	}
	for b := range s {
		if i == 0 {
			return b
		}
		i--
	}
	return len(s)
}

// strRange is CPython's ADJUST_INDICES over the optional start and end
// arguments (None allowed); start may end up past the end.
func strRange(n int64, startV, endV Value) (start, end int64, err error) {
	start, end = 0, n
	if startV != missing && startV != nil {
		if start, _, err = sliceBound(startV); err != nil {
			return 0, 0, err
		}
	}
	if endV != missing && endV != nil {
		if end, _, err = sliceBound(endV); err != nil {
			return 0, 0, err
		}
	}
	if end > n {
		end = n
	} else if end < 0 {
		end = max(end+n, 0)
	}
	if start < 0 {
		start = max(start+n, 0)
	}
	return start, end, nil
}

func strFind(s string, a []Value, last bool) (int64, error) {
	sub, err := argStr(a[0])
	if err != nil {
		return 0, err
	}
	start, end, err := strRange(cpLen(s), a[1], a[2])
	if err != nil {
		return 0, err
	}
	if end-start < cpLen(sub) {
		return -1, nil
	}
	bs, be := cpOffset(s, start), cpOffset(s, end)
	var i int
	if last {
		i = strings.LastIndex(s[bs:be], sub)
	} else {
		i = strings.Index(s[bs:be], sub)
	}
	if i < 0 {
		return -1, nil
	}
	return start + cpLen(s[bs:bs+i]), nil
}

func strCount(s string, a []Value) (Value, error) {
	sub, err := argStr(a[0])
	if err != nil {
		return nil, err
	}
	start, end, err := strRange(cpLen(s), a[1], a[2])
	if err != nil {
		return nil, err
	}
	if end < start {
		return int64(0), nil
	}
	if sub == "" {
		return end - start + 1, nil
	}
	return int64(strings.Count(s[cpOffset(s, start):cpOffset(s, end)], sub)), nil
}

// strTailMatch is str.startswith (suffix false) and str.endswith.
func strTailMatch(s string, a []Value, suffix bool) (Value, error) {
	name := "startswith"
	if suffix {
		name = "endswith"
	}
	var subs []Value
	switch x := norm(a[0]).(type) {
	case string:
		subs = []Value{x}
	case Tuple:
		subs = x
	default:
		if err := strictErr(x); err != nil {
			return nil, err
		}
		return nil, typeError("%s first arg must be str or a tuple of str, not %s", name, TypeName(x))
	}
	start, end, err := strRange(cpLen(s), a[1], a[2])
	if err != nil {
		return nil, err
	}
	for _, it := range subs {
		sub, ok := norm(it).(string)
		if !ok {
			return nil, typeError("tuple for %s must only contain str, not %s", name, TypeName(it))
		}
		if end-cpLen(sub) < start {
			continue
		}
		if suffix {
			if strings.HasSuffix(s[:cpOffset(s, end)], sub) {
				return true, nil
			}
		} else if strings.HasPrefix(s[cpOffset(s, start):], sub) {
			return true, nil
		}
	}
	return false, nil
}

// strSplit is str.split (right false) and str.rsplit.
func strSplit(s string, a []Value, right bool) (Value, error) {
	maxsplit, err := optIndex(a[1], -1, false)
	if err != nil {
		return nil, err
	}
	if a[0] == missing || a[0] == nil {
		return strList(splitSpace(s, maxsplit, right)), nil
	}
	sep, ok := norm(a[0]).(string)
	if !ok {
		if err := strictErr(a[0]); err != nil {
			return nil, err
		}
		return nil, typeError("must be str or None, not %s", TypeName(a[0]))
	}
	if sep == "" {
		return nil, valueError("empty separator")
	}
	if maxsplit < 0 || maxsplit >= int64(len(s)) {
		return strList(strings.Split(s, sep)), nil
	}
	if !right {
		return strList(strings.SplitN(s, sep, int(maxsplit)+1)), nil
	}
	var parts []string
	for ; maxsplit > 0; maxsplit-- {
		i := strings.LastIndex(s, sep)
		if i < 0 {
			break
		}
		parts = append(parts, s[i+len(sep):])
		s = s[:i]
	}
	parts = append(parts, s)
	reverseStrings(parts)
	return strList(parts), nil
}

func reverseStrings(p []string) {
	for i, j := 0, len(p)-1; i < j; i, j = i+1, j-1 {
		p[i], p[j] = p[j], p[i]
	}
}

// splitSpace splits on runs of whitespace, at most maxsplit times (<0: no limit).
func splitSpace(s string, maxsplit int64, right bool) []string {
	rs := []rune(s)
	var parts []string
	if !right {
		i := 0
		for {
			for i < len(rs) && pyIsSpace(rs[i]) {
				i++
			}
			if i == len(rs) {
				return parts
			}
			if maxsplit == 0 {
				return append(parts, string(rs[i:]))
			}
			j := i
			for j < len(rs) && !pyIsSpace(rs[j]) {
				j++
			}
			parts = append(parts, string(rs[i:j]))
			maxsplit--
			i = j
		}
	}
	j := len(rs)
	for {
		for j > 0 && pyIsSpace(rs[j-1]) {
			j--
		}
		if j == 0 {
			break
		}
		if maxsplit == 0 {
			parts = append(parts, string(rs[:j]))
			break
		}
		i := j
		for i > 0 && !pyIsSpace(rs[i-1]) {
			i--
		}
		parts = append(parts, string(rs[i:j]))
		maxsplit--
		j = i
	}
	reverseStrings(parts)
	return parts
}

func strList(parts []string) *List {
	items := make([]Value, len(parts))
	for i, p := range parts {
		items[i] = p
	}
	return NewList(items...)
}

func isLineBreak(r rune) bool {
	switch r {
	case '\n', '\r', '\v', '\f', 0x1c, 0x1d, 0x1e, 0x85, 0x2028, 0x2029:
		return true
	}
	return false
}

func strSplitlines(s string, keepends bool) *List {
	var parts []string
	start := 0
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if !isLineBreak(r) {
			i += size
			continue
		}
		end := i + size
		if r == '\r' && end < len(s) && s[end] == '\n' {
			end++
		}
		if keepends {
			parts = append(parts, s[start:end])
		} else {
			parts = append(parts, s[start:i])
		}
		start, i = end, end
	}
	if start < len(s) {
		parts = append(parts, s[start:])
	}
	return strList(parts)
}

// strStrip is str.strip (left and right), lstrip and rstrip.
func strStrip(s string, chars Value, name string, left, right bool) (Value, error) {
	pred := pyIsSpace
	if chars != missing && chars != nil {
		set, ok := norm(chars).(string)
		if !ok {
			if err := strictErr(chars); err != nil {
				return nil, err
			}
			return nil, typeError("%s arg must be None or str", name)
		}
		pred = func(r rune) bool { return strings.ContainsRune(set, r) }
	}
	if left {
		s = strings.TrimLeftFunc(s, pred)
	}
	if right {
		s = strings.TrimRightFunc(s, pred)
	}
	return s, nil
}

func strPartition(s string, sepV Value, right bool) (Value, error) {
	sep, err := argStr(sepV)
	if err != nil {
		return nil, err
	}
	if sep == "" {
		return nil, valueError("empty separator")
	}
	if right {
		i := strings.LastIndex(s, sep)
		if i < 0 {
			return Tuple{"", "", s}, nil
		}
		return Tuple{s[:i], sep, s[i+len(sep):]}, nil
	}
	i := strings.Index(s, sep)
	if i < 0 {
		return Tuple{s, "", ""}, nil
	}
	return Tuple{s[:i], sep, s[i+len(sep):]}, nil
}
