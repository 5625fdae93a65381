package objectfile

import (
	"sort"
	"strings"
)

// suggestion returns ` (did you mean "a", "b"?)` for the names of candidates close to name, or "".
func suggestion(name string, candidates []string) string {
	close := closeNames(name, candidates)
	if len(close) == 0 {
		return ""
	}
	quoted := make([]string, len(close))
	for i, c := range close {
		quoted[i] = `"` + c + `"`
	}
	return " (did you mean " + strings.Join(quoted, ", ") + "?)"
}

// closeNames returns up to three candidates close to name: a small edit distance, one containing
// the other, or a long common prefix; closest first.
func closeNames(name string, candidates []string) []string {
	type scored struct {
		name  string
		score int
	}
	var found []scored
	ln := strings.ToLower(name)
	for _, c := range candidates {
		lc := strings.ToLower(c)
		d := distance(ln, lc)
		limit := limitOf(name)
		switch {
		case d <= limit:
		case len(ln) >= 3 && (strings.Contains(lc, ln) || strings.Contains(ln, lc)):
			d = limit + 1
		case commonPrefix(ln, lc) >= 4:
			d = limit + 2
		default:
			continue
		}
		found = append(found, scored{c, d})
	}
	sort.SliceStable(found, func(i, j int) bool {
		if found[i].score != found[j].score {
			return found[i].score < found[j].score
		}
		return found[i].name < found[j].name
	})
	var out []string
	for i := 0; i < len(found) && i < 3; i++ {
		// a closer tier hides the looser ones
		if i > 0 && tier(found[i].score, limitOf(name)) > tier(found[0].score, limitOf(name)) {
			break
		}
		out = append(out, found[i].name)
	}
	return out
}

func commonPrefix(a, b string) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

// distance is the Levenshtein distance of a and b.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// limitOf is the largest edit distance at which a name is suggested for name.
func limitOf(name string) int { return 1 + len(name)/4 }

// tier ranks a score: 0 within the edit distance limit, then containment, then common prefix.
func tier(score, limit int) int { return max(0, score-limit) }
