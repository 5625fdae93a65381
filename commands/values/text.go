package values

import (
	"net/mail"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/infrahub-go/infrahub/schema"
)

// textParams returns the effective regex/min_length/max_length of a: parameters first, then the
// deprecated top-level properties (schema resolution moves those into parameters already, but an
// attribute built by hand may still carry them).
func textParams(a *schema.Attribute) (regex *string, minLen, maxLen *int) {
	regex, minLen, maxLen = a.Regex, a.MinLength, a.MaxLength
	if p := a.Parameters; p != nil {
		if p.Regex != nil {
			regex = p.Regex
		}
		if p.MinLength != nil {
			minLen = p.MinLength
		}
		if p.MaxLength != nil {
			maxLen = p.MaxLength
		}
	}
	return regex, minLen, maxLen
}

// text checks Text, String and TextArea values: a string, its length counted in characters, and
// the regex matched from the start of the value as Python's re.match does.
func text(a *schema.Attribute, v any) (any, error) {
	s, err := str(a, v)
	if err != nil {
		return nil, err
	}
	regex, minLen, maxLen := textParams(a)
	n := utf8.RuneCountInString(s)
	if minLen != nil && n < *minLen {
		return nil, fail(a, v, "%q is %d characters long, shorter than min_length %d", s, n, *minLen)
	}
	if maxLen != nil && n > *maxLen {
		return nil, fail(a, v, "%q is %d characters long, longer than max_length %d", s, n, *maxLen)
	}
	if regex != nil && *regex != "" {
		re, ok := compileRegex(*regex)
		if ok && re != nil && !re.MatchString(s) {
			return nil, fail(a, v, "%q does not match the regex %q", s, *regex)
		}
		if !ok {
			return nil, fail(a, v, "the attribute's regex %q is not a valid regular expression", *regex)
		}
	}
	return v, nil // s as given, without boxing it again
}

type compiled struct {
	re *regexp.Regexp
	ok bool
}

var regexCache sync.Map // pattern → compiled

// compileRegex compiles pattern anchored at the start. A pattern with Python look-around
// assertions, which RE2 cannot compile, gives (nil, true): it is accepted unchecked, as the schema
// package accepts it. Any other compile error gives (nil, false).
func compileRegex(pattern string) (*regexp.Regexp, bool) {
	if c, ok := regexCache.Load(pattern); ok {
		return c.(compiled).re, c.(compiled).ok
	}
	var c compiled
	re, err := regexp.Compile(`^(?:` + pattern + `)`)
	switch {
	case err == nil:
		c = compiled{re, true}
	case lookaround(pattern):
		c = compiled{nil, true}
	default:
		c = compiled{nil, false}
	}
	regexCache.Store(pattern, c)
	return c.re, c.ok
}

func lookaround(p string) bool {
	return strings.Contains(p, "(?=") || strings.Contains(p, "(?!") || strings.Contains(p, "(?<")
}

// dropdown checks that v is the name of one of a's present choices; the error lists them sorted.
func dropdown(a *schema.Attribute, v any) (any, error) {
	s, err := str(a, v)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(a.Choices))
	for _, c := range a.Choices {
		if c == nil || c.State == schema.StateAbsent {
			continue
		}
		if c.Name == s {
			return s, nil
		}
		names = append(names, c.Name)
	}
	sort.Strings(names) // as Infrahub lists them
	return nil, fail(a, v, "%q is not one of %s", s, strings.Join(names, ", "))
}

// email accepts a bare address (no display name, no angle brackets).
func email(a *schema.Attribute, v any) (any, error) {
	s, err := str(a, v)
	if err != nil {
		return nil, err
	}
	addr, perr := mail.ParseAddress(s)
	if perr != nil || addr.Name != "" || addr.Address != s || !strings.Contains(s[strings.LastIndexByte(s, '@')+1:], ".") {
		return nil, fail(a, v, "%q is not a valid email address", s)
	}
	return s, nil
}

// urlValue accepts an absolute URL with a scheme and a host.
func urlValue(a *schema.Attribute, v any) (any, error) {
	s, err := str(a, v)
	if err != nil {
		return nil, err
	}
	u, perr := url.Parse(s)
	switch {
	case perr != nil:
		return nil, fail(a, v, "%q is not a valid URL", s)
	case u.Scheme == "":
		return nil, fail(a, v, "%q is not a valid URL: no scheme", s)
	case u.Host == "" || u.Hostname() == "":
		return nil, fail(a, v, "%q is not a valid URL: no host", s)
	case strings.ContainsAny(s, " \t\n"):
		return nil, fail(a, v, "%q is not a valid URL: contains white space", s)
	}
	return s, nil
}

// color accepts #rrggbb and stores it in lower case.
func color(a *schema.Attribute, v any) (any, error) {
	s, err := str(a, v)
	if err != nil {
		return nil, err
	}
	ok := len(s) == 7 && s[0] == '#'
	for i := 1; ok && i < len(s); i++ {
		ok = isHex(s[i])
	}
	if !ok {
		return nil, fail(a, v, "%q is not a valid color, expected #rrggbb", s)
	}
	return strings.ToLower(s), nil
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// dateTime accepts an RFC 3339 time (or a time.Time, as YAML may decode one) and stores it in
// UTC, RFC 3339 with trailing zeros of the fraction trimmed.
func dateTime(a *schema.Attribute, v any) (any, error) {
	var t time.Time
	switch x := v.(type) {
	case time.Time:
		t = x
	case string:
		p, err := time.Parse(time.RFC3339Nano, x)
		if err != nil {
			return nil, fail(a, v, "%q is not an RFC 3339 date-time (e.g. 2024-01-31T12:00:00Z)", x)
		}
		t = p
	default:
		return nil, wrongType(a, v, "an RFC 3339 date-time string")
	}
	return t.UTC().Format(time.RFC3339Nano), nil
}
