package jinja

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"unicode"

	"github.com/infrahub-go/infrahub/jinja/value"
)

// urlencode, urlize, xmlattr and wordwrap.

func init() {
	builtinFilters["urlencode"] = biFilter(biSig("do_urlencode", 0, []string{"value"}), biFilterURLEncode)
	builtinFilters["urlize"] = biFilter(biSig("do_urlize", 1,
		[]string{"value", "trim_url_limit", "nofollow", "target", "rel", "extra_schemes"}, nil, false, nil, nil, nil), biFilterURLize)
	builtinFilters["xmlattr"] = biFilter(biSig("do_xmlattr", 1, []string{"d", "autospace"}, true), biFilterXMLAttr)
	builtinFilters["wordwrap"] = biFilter(biSig("do_wordwrap", 1,
		[]string{"s", "width", "break_long_words", "wrapstring", "break_on_hyphens"}, int64(79), true, nil, true), biFilterWordwrap)
}

// biUrlQuote is jinja2.utils.url_quote: str(v) in UTF-8, percent-quoted but for letters,
// digits, "_.-~" and (unless forQS) "/"; forQS writes spaces as "+".
func biUrlQuote(v value.Value, forQS bool) (string, error) {
	s, err := biStr(v)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', strings.IndexByte("_.-~", c) >= 0:
			b.WriteByte(c)
		case c == '/' && !forQS:
			b.WriteByte(c)
		case c == ' ' && forQS:
			b.WriteByte('+')
		default:
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String(), nil
}

// biIsIterable is isinstance(v, collections.abc.Iterable): the types with __iter__ (an async
// generator has only __aiter__).
func biIsIterable(v value.Value) bool {
	switch x := v.(type) {
	case string, value.Markup, *value.List, value.Tuple, *value.Dict, *value.DictView, *value.Range, *value.Undefined:
		return true
	case *biLazyIter:
		return !x.async
	case value.Iterable:
		return true
	}
	return false
}

// biUnpack2 is `k, v = item`.
func biUnpack2(item value.Value) (value.Value, value.Value, error) {
	if !biIsIterable(item) {
		return nil, nil, value.Errorf("TypeError", "cannot unpack non-iterable %s object", value.TypeName(item))
	}
	items, err := biToList(nil, item, false)
	if err != nil {
		return nil, nil, err
	}
	switch {
	case len(items) < 2:
		return nil, nil, value.Errorf("ValueError", "not enough values to unpack (expected 2, got %d)", len(items))
	case len(items) > 2:
		return nil, nil, value.Errorf("ValueError", "too many values to unpack (expected 2)")
	}
	return items[0], items[1], nil
}

func biFilterURLEncode(r Runtime, b biBound) (value.Value, error) {
	v := b.p[0]
	if _, ok := v.(string); ok || !biIsIterable(v) {
		return biUrlQuote(v, false)
	}
	var pairs []value.Value
	if d, ok := v.(*value.Dict); ok {
		for _, it := range d.Items() {
			pairs = append(pairs, it)
		}
	} else {
		var err error
		if pairs, err = biToList(r, v, false); err != nil {
			return nil, err
		}
	}
	parts := make([]string, 0, len(pairs))
	for _, p := range pairs {
		k, val, err := biUnpack2(p)
		if err != nil {
			return nil, err
		}
		ks, err := biUrlQuote(k, true)
		if err != nil {
			return nil, err
		}
		vs, err := biUrlQuote(val, true)
		if err != nil {
			return nil, err
		}
		parts = append(parts, ks+"="+vs)
	}
	return strings.Join(parts, "&"), nil
}

// Python's \w, \d and \S in a str pattern, for RE2.
const (
	biReWord = `[\p{L}\p{N}_]`
)

var (
	biHttpRe = regexp.MustCompile(`(?i)^(?:(?:https?://|www\.)(?:(?:[\p{L}\p{N}_%-]+\.)+)?(?:[a-z]{2,63}|xn--[\p{L}\p{N}_%]{2,59})` +
		`|(?:[\p{L}\p{N}_%-]{2,63}\.)+(?:com|net|int|edu|gov|org|info|mil)` +
		`|https?://(?:\p{Nd}{1,3}(?:\.\p{Nd}{1,3}){3}|\[(?:[\p{Nd}a-f]{0,4}:){2}(?:[\p{Nd}a-f]{0,4}:?){1,6}\]))` +
		`(?::\p{Nd}{1,5})?(?:[/?#].*)?$`)
	biEmailRe  = regexp.MustCompile(`^.+@` + biReWord + `[\p{L}\p{N}_.-]*\.` + biReWord + `+$`)
	biSchemeRe = regexp.MustCompile(`^[\p{L}\p{N}_.+-]{2,}:/{0,2}$`)
)

// biSplitKeep is re.split(r"(\s+)", s): the words and the whitespace runs between them.
func biSplitKeep(s string, isSep func(rune) bool) []string {
	var out []string
	rs := []rune(s)
	start := 0
	for i := 0; i < len(rs); {
		if !isSep(rs[i]) {
			i++
			continue
		}
		j := i
		for j < len(rs) && isSep(rs[j]) {
			j++
		}
		out = append(out, string(rs[start:i]), string(rs[i:j]))
		start, i = j, j
	}
	return append(out, string(rs[start:]))
}

func biFilterURLize(r Runtime, b biBound) (value.Value, error) {
	relParts := map[string]bool{}
	if ok, err := biTruth(b.p[4]); err != nil {
		return nil, err
	} else if ok {
		rel, isStr := b.p[4].(string)
		if !isStr {
			return nil, value.Errorf("AttributeError", "'%s' object has no attribute 'split'", value.TypeName(b.p[4]))
		}
		for _, p := range strings.FieldsFunc(rel, biPyIsSpace) {
			relParts[p] = true
		}
	}
	if ok, err := biTruth(b.p[2]); err != nil {
		return nil, err
	} else if ok {
		relParts["nofollow"] = true
	}
	relParts["noopener"] = true
	rels := make([]string, 0, len(relParts))
	for p := range relParts {
		rels = append(rels, p)
	}
	sort.Strings(rels)
	relAttr := ` rel="` + biEscapeHTML(strings.Join(rels, " ")) + `"`
	targetAttr := ""
	if ok, err := biTruth(b.p[3]); err != nil {
		return nil, err
	} else if ok {
		t, err := biStr(b.p[3])
		if err != nil {
			return nil, err
		}
		targetAttr = ` target="` + biEscapeHTML(t) + `"`
	}
	var schemes []string
	if b.p[5] != nil {
		items, err := biToList(r, b.p[5], false)
		if err != nil {
			return nil, err
		}
		for _, it := range items {
			s, ok := it.(string)
			if !ok {
				return nil, value.Errorf("TypeError", "expected string or bytes-like object, got '%s'", value.TypeName(it))
			}
			if !biSchemeRe.MatchString(s) {
				return nil, value.Errorf("FilterArgumentError", "%s is not a valid URI scheme prefix.", value.ReprString(s))
			}
			schemes = append(schemes, s)
		}
	}
	text, err := biStr(b.p[0])
	if err != nil {
		return nil, err
	}
	trim := func(x string) (string, error) { return x, nil }
	if limit := b.p[1]; limit != nil {
		trim = func(x string) (string, error) {
			n, _ := value.Len(x)
			if long, err := value.Compare(">", int64(n), limit); err != nil || !long {
				return x, err
			}
			head, err := value.GetItem(x, &value.Slice{Stop: limit})
			if err != nil {
				return "", err
			}
			return head.(string) + "...", nil
		}
	}
	words := biSplitKeep(biEscapeHTML(text), biPyIsSpace)
	size := 0
	for i, word := range words {
		if i%2 == 0 {
			w, err := biUrlizeWord(word, relAttr, targetAttr, schemes, b.p[5] != nil, trim)
			if err != nil {
				return nil, err
			}
			words[i] = w
		}
		if size += len(words[i]); size > value.MaxSize {
			return nil, biTooLarge()
		}
	}
	return strings.Join(words, ""), nil
}

// biUrlizeWord links one word of urlize (already HTML-escaped).
func biUrlizeWord(word, relAttr, targetAttr string, schemes []string, extra bool, trim func(string) (string, error)) (string, error) {
	head, middle, tail := "", word, ""
	for {
		switch {
		case strings.HasPrefix(middle, "("), strings.HasPrefix(middle, "<"):
			head, middle = head+middle[:1], middle[1:]
			continue
		case strings.HasPrefix(middle, "&lt;"):
			head, middle = head+middle[:4], middle[4:]
			continue
		}
		break
	}
	// the leftmost start of a trailing run of ")>.,\n" and "&gt;"
	ok := make([]bool, len(middle)+1)
	ok[len(middle)] = true
	cut := len(middle)
	for i := len(middle) - 1; i >= 0; i-- {
		ok[i] = strings.IndexByte(")>.,\n", middle[i]) >= 0 && ok[i+1] || strings.HasPrefix(middle[i:], "&gt;") && ok[i+4]
	}
	for i := 0; i < len(middle); i++ {
		if ok[i] {
			cut = i
			break
		}
	}
	middle, tail = middle[:cut], middle[cut:]
	for _, pair := range [][2]string{{"(", ")"}, {"<", ">"}, {"&lt;", "&gt;"}} {
		starts := strings.Count(middle, pair[0])
		if starts <= strings.Count(middle, pair[1]) {
			continue
		}
		for n := min(starts, strings.Count(tail, pair[1])); n > 0; n-- {
			end := strings.Index(tail, pair[1]) + len(pair[1])
			middle, tail = middle+tail[:end], tail[end:]
		}
	}
	switch {
	case biHttpRe.MatchString(middle):
		shown, err := trim(middle)
		if err != nil {
			return "", err
		}
		href := middle
		if !strings.HasPrefix(middle, "https://") && !strings.HasPrefix(middle, "http://") {
			href = "https://" + middle
		}
		middle = `<a href="` + href + `"` + relAttr + targetAttr + `>` + shown + `</a>`
	case strings.HasPrefix(middle, "mailto:") && biEmailRe.MatchString(middle[7:]):
		middle = `<a href="` + middle + `">` + middle[7:] + `</a>`
	case strings.Contains(middle, "@") && !strings.HasPrefix(middle, "www.") && !strings.HasPrefix(middle, "@") &&
		!strings.Contains(middle, ":") && biEmailRe.MatchString(middle):
		middle = `<a href="mailto:` + middle + `">` + middle + `</a>`
	case extra:
		for _, s := range schemes {
			if middle != s && strings.HasPrefix(middle, s) {
				middle = `<a href="` + middle + `"` + relAttr + targetAttr + `>` + middle + `</a>`
			}
		}
	}
	return head + middle + tail, nil
}

func biFilterXMLAttr(_ Runtime, b biBound) (value.Value, error) {
	d, ok := b.p[0].(*value.Dict)
	if !ok {
		if u, isU := b.p[0].(*value.Undefined); isU {
			return nil, u.Err()
		}
		return nil, value.Errorf("AttributeError", "'%s' object has no attribute 'items'", value.TypeName(b.p[0]))
	}
	var items []string
	for _, kv := range d.Items() {
		if kv[1] == nil || biIsUndefined(kv[1]) {
			continue
		}
		key, ok := kv[0].(string)
		if !ok {
			return nil, value.Errorf("TypeError", "expected string or bytes-like object, got '%s'", value.TypeName(kv[0]))
		}
		if strings.ContainsAny(key, " \t\n\r\f\v/>=") {
			return nil, value.Errorf("ValueError", "Invalid character in attribute name: %s", value.ReprString(key))
		}
		v, err := biStr(kv[1])
		if err != nil {
			return nil, err
		}
		items = append(items, biEscapeHTML(key)+`="`+biEscapeHTML(v)+`"`)
	}
	rv := strings.Join(items, " ")
	auto, err := biTruth(b.p[1])
	if err != nil {
		return nil, err
	}
	if auto && rv != "" {
		rv = " " + rv
	}
	return rv, nil
}

func biFilterWordwrap(_ Runtime, b biBound) (value.Value, error) {
	s, ok := b.p[0].(string)
	if !ok {
		if u, isU := b.p[0].(*value.Undefined); isU {
			return nil, u.Err()
		}
		return nil, value.Errorf("AttributeError", "'%s' object has no attribute 'splitlines'", value.TypeName(b.p[0]))
	}
	wrapstring := "\n"
	if b.p[3] != nil {
		ws, ok := b.p[3].(string)
		if !ok {
			if u, isU := b.p[3].(*value.Undefined); isU {
				return nil, u.Err()
			}
			return nil, value.Errorf("AttributeError", "'%s' object has no attribute 'join'", value.TypeName(b.p[3]))
		}
		wrapstring = ws
	}
	w := biTextWrapper{}
	var err error
	if w.breakLong, err = biTruth(b.p[2]); err != nil {
		return nil, err
	}
	if w.breakHyphens, err = biTruth(b.p[4]); err != nil {
		return nil, err
	}
	switch x := b.p[1].(type) {
	case bool:
		w.width = 0
		if x {
			w.width = 1
		}
		w.intWidth = true
	case int64:
		w.width, w.intWidth = float64(x), true
	case int:
		w.width, w.intWidth = float64(x), true
	case float64:
		w.width = x
	default:
		if u, isU := x.(*value.Undefined); isU {
			return nil, u.Err()
		}
		if _, err := value.Compare("<=", x, int64(0)); err != nil {
			return nil, err
		}
		return nil, value.Errorf("TypeError", "'<=' not supported between instances of '%s' and 'int'", value.TypeName(x))
	}
	lines := biSplitLines(s)
	out := make([]string, len(lines))
	size := 0
	for i, line := range lines {
		wrapped, err := w.wrap(line)
		if err != nil {
			return nil, err
		}
		size += len(line) + (len(wrapped)+1)*len(wrapstring)
		if size > value.MaxSize {
			return nil, biTooLarge()
		}
		out[i] = strings.Join(wrapped, wrapstring)
	}
	return strings.Join(out, wrapstring), nil
}

// biTextWrapper is Python's textwrap.TextWrapper as do_wordwrap configures it: no tab
// expansion, whitespace kept, whitespace dropped at line ends, no indents.
type biTextWrapper struct {
	width        float64
	intWidth     bool
	breakLong    bool
	breakHyphens bool
}

func biIsWrapSpace(r rune) bool { return strings.ContainsRune("\t\n\v\f\r ", r) }

func biIsLetter(r rune) bool { return biIsWordChar(r) && !biIsDecimal(r) }

func biIsDecimal(r rune) bool { return unicode.Is(unicode.Nd, r) }

func biIsWordPunct(r rune) bool { return biIsWordChar(r) || strings.ContainsRune(`!"'&.,?`, r) }

// chunks is TextWrapper._split: the text cut into words, whitespace runs and (breaking on
// hyphens) hyphenated pieces, as its wordsep_re splits it.
func (w *biTextWrapper) chunks(text string) []string {
	rs := []rune(text)
	if !w.breakHyphens {
		var out []string
		for _, c := range biSplitKeep(text, biIsWrapSpace) {
			if c != "" {
				out = append(out, c)
			}
		}
		return out
	}
	n := len(rs)
	at := func(i int) rune {
		if i < 0 || i >= n {
			return -1
		}
		return rs[i]
	}
	lt := func(i int) bool { return i >= 0 && i < n && biIsLetter(rs[i]) }
	hyphensThenWord := func(j int) bool { // (?=-{2,}\w) at j
		h := 0
		for at(j+h) == '-' {
			h++
		}
		return h >= 2 && j+h < n && biIsWordChar(rs[j+h])
	}
	match := func(i int) int { // the end of wordsep_re's match at i
		if biIsWrapSpace(rs[i]) {
			j := i
			for j < n && biIsWrapSpace(rs[j]) {
				j++
			}
			return j
		}
		if i > 0 && biIsWordPunct(rs[i-1]) && at(i) == '-' && at(i+1) == '-' {
			h := 0
			for at(i+h) == '-' {
				h++
			}
			if i+h < n && biIsWordChar(rs[i+h]) {
				return i + h
			}
		}
		for j := i + 1; ; j++ {
			if at(j) == '-' && (lt(j-2) && lt(j-1) || lt(j-3) && at(j-2) == '-' && lt(j-1)) &&
				lt(j+1) && (lt(j+2) || at(j+2) == '-' && lt(j+3)) {
				return j + 1
			}
			if j == n || biIsWrapSpace(rs[j]) {
				return j
			}
			if biIsWordPunct(rs[j-1]) && hyphensThenWord(j) {
				return j
			}
		}
	}
	var out []string
	for i := 0; i < n; {
		j := match(i)
		out = append(out, string(rs[i:j]))
		i = j
	}
	return out
}

func biRuneLen(s string) int { return len([]rune(s)) }

func biIsBlank(s string) bool { return strings.TrimFunc(s, biPyIsSpace) == "" }

// wrap is TextWrapper.wrap.
func (w *biTextWrapper) wrap(text string) ([]string, error) {
	chunks := w.chunks(text)
	if w.width <= 0 {
		return nil, value.Errorf("ValueError", "invalid width %s (must be > 0)", biWidthRepr(w.width, w.intWidth))
	}
	// chunks reversed: the next chunk is the last one
	for i, j := 0, len(chunks)-1; i < j; i, j = i+1, j-1 {
		chunks[i], chunks[j] = chunks[j], chunks[i]
	}
	var lines []string
	for len(chunks) > 0 {
		var cur []string
		curLen := 0
		if biIsBlank(chunks[len(chunks)-1]) && len(lines) > 0 {
			chunks = chunks[:len(chunks)-1]
		}
		for len(chunks) > 0 {
			l := biRuneLen(chunks[len(chunks)-1])
			if float64(curLen+l) > w.width {
				break
			}
			cur = append(cur, chunks[len(chunks)-1])
			chunks = chunks[:len(chunks)-1]
			curLen += l
		}
		if len(chunks) > 0 && float64(biRuneLen(chunks[len(chunks)-1])) > w.width {
			var err error
			if cur, chunks, err = w.handleLongWord(chunks, cur, curLen); err != nil {
				return nil, err
			}
		}
		if len(cur) > 0 && biIsBlank(cur[len(cur)-1]) {
			cur = cur[:len(cur)-1]
		}
		if len(cur) > 0 {
			lines = append(lines, strings.Join(cur, ""))
		}
	}
	return lines, nil
}

func biWidthRepr(w float64, isInt bool) string {
	if isInt {
		return fmt.Sprint(int64(w))
	}
	return value.FloatRepr(w)
}

func (w *biTextWrapper) handleLongWord(chunks, cur []string, curLen int) ([]string, []string, error) {
	spaceLeft := w.width - float64(curLen)
	if w.width < 1 {
		spaceLeft = 1
	}
	if w.breakLong {
		if !w.intWidth && w.width >= 1 {
			return nil, nil, value.Errorf("TypeError", "slice indices must be integers or None or have an __index__ method")
		}
		space := int(spaceLeft)
		chunk := []rune(chunks[len(chunks)-1])
		end := space
		if w.breakHyphens && len(chunk) > space {
			hyphen := -1
			for i := min(space, len(chunk)) - 1; i >= 0; i-- {
				if chunk[i] == '-' {
					hyphen = i
					break
				}
			}
			if hyphen > 0 && strings.Trim(string(chunk[:hyphen]), "-") != "" {
				end = hyphen + 1
			}
		}
		end = min(end, len(chunk))
		cur = append(cur, string(chunk[:end]))
		chunks[len(chunks)-1] = string(chunk[end:])
	} else if len(cur) == 0 {
		cur = append(cur, chunks[len(chunks)-1])
		chunks = chunks[:len(chunks)-1]
	}
	return cur, chunks, nil
}
