package value

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// The semantics of Markup against python3 are in markupCases (cases_markup_test.go).

// TestMarkupIsHTMLer: a Markup is HTML as is; Escape keeps the HTML of any HTMLer and escapes
// the rest once.
func TestMarkupIsHTMLer(t *testing.T) {
	var v Value = Markup("<b>")
	h, ok := v.(HTMLer)
	if !ok || h.HTML() != "<b>" {
		t.Fatalf("Markup is not an HTMLer with its text: %v", v)
	}
	for _, c := range []struct {
		in   Value
		want Markup
	}{
		{"<a href=\"x\">&'</a>", "&lt;a href=&#34;x&#34;&gt;&amp;&#39;&lt;/a&gt;"},
		{Markup("<b>"), "<b>"},
		{int64(5), "5"},
		{nil, "None"},
		{NewList("<"), "[&#39;&lt;&#39;]"},
	} {
		got, err := Escape(c.in)
		if err != nil || got != c.want {
			t.Errorf("Escape(%#v) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	if _, err := Escape(NewUndefined("x", true)); !IsKind(err, "UndefinedError") {
		t.Errorf("Escape(StrictUndefined): %v", err)
	}
}

// TestMarkupResultTypes: the Go types behind the reprs of markupCases — Markup where Python
// gives a Markup, a plain string where it gives a str.
func TestMarkupResultTypes(t *testing.T) {
	m := Markup("<a>b")
	isMarkup := func(what string, v Value, err error, want bool) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if _, ok := v.(Markup); ok != want {
			t.Errorf("%s = %#v: Markup %v, want %v", what, v, ok, want)
		}
	}
	v, err := Add(m, "<")
	isMarkup("m + str", v, err, true)
	v, err = Add("<", m)
	isMarkup("str + m", v, err, true)
	v, err = Add("<", "m")
	isMarkup("str + str", v, err, false)
	v, err = Mod(Markup("%s"), "x")
	isMarkup("m % x", v, err, true)
	v, err = Mod("%s", m)
	isMarkup("str % m", v, err, false)
	v, err = GetItem(m, int64(0))
	isMarkup("m[0]", v, err, true)
	v, err = Str(m)
	isMarkup("str(m)", v, err, false)
	items, err := ToList(m)
	isMarkup("list(m)[0]", items[0], err, false)
	up, _ := Method(m, "upper")
	v, err = up.Call(nil, nil)
	isMarkup("m.upper()", v, err, true)
	find, _ := Method(m, "find")
	v, err = find.Call([]Value{"b"}, nil)
	if v != int64(3) || err != nil {
		t.Errorf("m.find('b') = %v, %v", v, err)
	}
	un, _ := Attr(m, "unescape")
	v, err = un.(Callable).Call(nil, nil)
	isMarkup("m.unescape()", v, err, false)
	if _, err := Attr(m, "nosuch"); !IsKind(err, "AttributeError") || !strings.Contains(err.Error(), "'Markup' object") {
		t.Errorf("m.nosuch: %v", err)
	}
}

// naiveRemoveSpans is markupsafe's quadratic loop, word for word.
func naiveRemoveSpans(s, open, close string) string {
	for {
		start := strings.Index(s, open)
		if start < 0 {
			return s
		}
		end := strings.Index(s[start:], close)
		if end < 0 {
			return s
		}
		s = s[:start] + s[start+end+len(close):]
	}
}

// TestRemoveSpansMatchesNaive: the linear removal of striptags gives what markupsafe's loop
// gives, markers formed across a removal included ("<!<!-- x -->-- y -->").
func TestRemoveSpansMatchesNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 20000; i++ {
		b := make([]byte, rng.IntN(24))
		for j := range b {
			b[j] = "<!->a"[rng.IntN(5)]
		}
		s := string(b)
		for _, m := range [][2]string{{"<!--", "-->"}, {"<", ">"}} {
			if got, want := removeSpans(s, m[0], m[1]), naiveRemoveSpans(s, m[0], m[1]); got != want {
				t.Fatalf("removeSpans(%q, %q, %q) = %q, want %q", s, m[0], m[1], got, want)
			}
		}
	}
	if got := StripTags("<!<!-- x -->-- y -->z"); got != "z" {
		t.Errorf("junction: %q", got)
	}
}
