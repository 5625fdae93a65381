package objectfile

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// rangeGroupRe finds bracket groups that look like ranges: digits, letters, commas and dashes,
// with at least one dash or comma (so that "[abc]" stays literal).
var rangeGroupRe = regexp.MustCompile(`\[([0-9A-Za-z]+(?:[-,][0-9A-Za-z]+)+)\]`)

// hasRange reports whether s holds a range group.
func hasRange(s string) bool { return rangeGroupRe.MatchString(s) }

// rangeCount answers how many values s expands to, computed from the groups' bounds without
// expanding anything; a count above bound is answered as bound+1 (no overflow, however many
// groups multiply). A string without a group gives 1.
func rangeCount(s string, bound int) (int, error) {
	n := 1
	for _, loc := range rangeGroupRe.FindAllStringSubmatchIndex(s, -1) {
		c, err := groupCount(s[loc[2]:loc[3]], bound)
		if err != nil {
			return 0, fmt.Errorf("bad range %q: %w", s[loc[0]:loc[1]], err)
		}
		if c > bound || n > bound/c {
			return bound + 1, nil
		}
		n *= c
	}
	if n > bound {
		return bound + 1, nil
	}
	return n, nil
}

// groupCount counts the values of one group ("1-3,5", "a-c"), at most bound+1.
func groupCount(group string, bound int) (int, error) {
	n := 0
	for _, part := range strings.Split(group, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		c := 1
		if isRange {
			if lo == "" || hi == "" || strings.Contains(hi, "-") {
				return 0, fmt.Errorf("%q is not a range", part)
			}
			a, errA := strconv.ParseInt(lo, 10, 64)
			b, errB := strconv.ParseInt(hi, 10, 64)
			switch {
			case errA == nil && errB == nil:
				if a > b {
					return 0, fmt.Errorf("start %d is after end %d", a, b)
				}
				if b-a >= int64(bound) || b-a < 0 {
					return bound + 1, nil
				}
				c = int(b-a) + 1
			case errA != nil && errB != nil && len(lo) == 1 && len(hi) == 1 && isLetter(lo[0]) && isLetter(hi[0]) && isLower(lo[0]) == isLower(hi[0]):
				if lo[0] > hi[0] {
					return 0, fmt.Errorf("start %q is after end %q", lo, hi)
				}
				c = int(hi[0]-lo[0]) + 1
			default:
				return 0, fmt.Errorf("%q mixes numbers and letters or is not a single-letter range", part)
			}
		}
		if n += c; n > bound {
			return bound + 1, nil
		}
	}
	return n, nil
}

// expandRange expands every range group of s, e.g. "Ethernet[1-3]" to Ethernet1, Ethernet2,
// Ethernet3, "ge-0/0/[0-1]" to ge-0/0/0, ge-0/0/1, "[a-c]" to a, b, c, "[1,3,5-6]" to 1, 3, 5,
// 6. Several groups give every combination, the last group varying fastest. A number range
// whose start has leading zeros keeps the start's width ("[01-10]"). A string without a group is
// returned alone. The caller has checked with rangeCount that s expands to a bounded number of
// values: nothing is expanded before that.
func expandRange(s string) ([]string, error) {
	locs := rangeGroupRe.FindAllStringSubmatchIndex(s, -1)
	if len(locs) == 0 {
		return []string{s}, nil
	}
	out := []string{""}
	last := 0
	for _, loc := range locs {
		values, err := groupValues(s[loc[2]:loc[3]])
		if err != nil {
			return nil, fmt.Errorf("bad range %q: %w", s[loc[0]:loc[1]], err)
		}
		prefix := s[last:loc[0]]
		next := make([]string, 0, len(out)*len(values))
		for _, o := range out {
			for _, v := range values {
				next = append(next, o+prefix+v)
			}
		}
		out = next
		last = loc[1]
	}
	for i := range out {
		out[i] += s[last:]
	}
	return out, nil
}

func groupValues(group string) ([]string, error) {
	var out []string
	for _, part := range strings.Split(group, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		if !isRange {
			out = append(out, part)
			continue
		}
		if lo == "" || hi == "" || strings.Contains(hi, "-") {
			return nil, fmt.Errorf("%q is not a range", part)
		}
		a, errA := strconv.Atoi(lo)
		b, errB := strconv.Atoi(hi)
		switch {
		case errA == nil && errB == nil:
			if a > b {
				return nil, fmt.Errorf("start %d is after end %d", a, b)
			}
			width := 0
			if len(lo) > 1 && lo[0] == '0' {
				width = len(lo)
			}
			for n := a; n <= b; n++ {
				out = append(out, fmt.Sprintf("%0*d", width, n))
			}
		case errA != nil && errB != nil && len(lo) == 1 && len(hi) == 1 && isLetter(lo[0]) && isLetter(hi[0]) && isLower(lo[0]) == isLower(hi[0]):
			if lo[0] > hi[0] {
				return nil, fmt.Errorf("start %q is after end %q", lo, hi)
			}
			for ch := lo[0]; ch <= hi[0]; ch++ {
				out = append(out, string(ch))
			}
		default:
			return nil, fmt.Errorf("%q mixes numbers and letters or is not a single-letter range", part)
		}
	}
	return out, nil
}

func isLetter(c byte) bool { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }
func isLower(c byte) bool  { return c >= 'a' && c <= 'z' }
