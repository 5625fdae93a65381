package jinja_test

import (
	"context"
	"errors"
	"testing"

	"github.com/infrahub-go/infrahub/jinja"
)

// markupTemplates: {template, output of Python Jinja2 3.1.6 (MarkupSafe 3.0) with x = "a&b",
// or "!Exception: message"}, recorded by rendering each template in python3.
var markupTemplates = [][2]string{
	{"{{ '<b>'|e }}|{{ '<b>'|escape }}|{{ '<b>'|e|e }}|{{ '<b>'|safe|e }}", "&lt;b&gt;|&lt;b&gt;|&lt;b&gt;|<b>"},
	{"{{ '<b>'|safe|forceescape }}|{{ '<b>'|e|forceescape }}|{{ 5|forceescape is escaped }}", "&lt;b&gt;|&amp;lt;b&amp;gt;|True"},
	{"{{ 5|e }}|{{ none|e }}|{{ none|safe }}|{{ missing|e }}|{{ missing|safe }}|{{ 5|safe is escaped }}", "5|None|None|||True"},
	{"{{ '<a>' is escaped }} {{ ('<a>'|e) is escaped }} {{ ('x'|safe) is escaped }} {{ 1 is escaped }} {{ missing is escaped }}", "False True True False False"},
	{"{{ ('<a>'|e) + '<b>' }}|{{ '<b>' + ('<a>'|e) }}|{{ ('<a>'|safe) + ('<b>'|safe) }}|{{ '<a>'|e ~ '<b>' }}", "&lt;a&gt;&lt;b&gt;|&lt;b&gt;&lt;a&gt;|<a><b>|&lt;a&gt;<b>"},
	{"{{ ['<a>'|e] }} {{ ['<a>'|safe] }} {{ {'k'|safe: 'v'|safe} }} {{ ('x'|safe)|pprint }}", "[Markup('&lt;a&gt;')] [Markup('<a>')] {Markup('k'): Markup('v')} Markup('x')"},
	{"{{ ('<a>'|e).upper() }} {{ ('<a>'|e).replace('a', '<b>') }} {{ ('a b'|safe).split() }} {{ ('<a>'|safe)[0] is escaped }}", "&LT;A&GT; &lt;&lt;b&gt;&gt; [Markup('a'), Markup('b')] True"},
	{"{{ ('<em>%s</em>'|safe) % 'a & b' }}|{{ ('%s'|safe)|format('<') }}|{{ ('{0}'|safe).format('<') }}|{{ ('{x}'|safe).format_map({'x': '<'}) }}", "<em>a &amp; b</em>|&lt;|&lt;|&lt;"},
	{"{{ ('<'|e) is string }} {{ ('a'|safe) is sequence }} {{ ('a'|safe) is iterable }} {{ ('a'|safe) == 'a' }} {{ ('a'|safe) in ['a'] }}", "True True True True True"},
	{"{{ ('a<'|safe)|list }} {{ ('a<'|safe)|reverse }} {{ ('a<'|safe)|reverse is escaped }} {{ ('a'|safe)|first is escaped }} {{ ('a<'|e)|length }}", "['a', '<'] <a True False 5"},
	{"{% for c in '<a'|safe %}{{ c is escaped }}{{ c }}{% endfor %}", "False<Falsea"},
	{"{{ ('a<'|e)|string is escaped }} {{ 'x'|string is escaped }} {{ 'x'|tojson is escaped }} {{ ['<'|safe]|tojson }}", "True False True [\"\\u003c\"]"},
	{"{{ '<a>\n<b>'|e|indent(1) }}|{{ ('<a>\n<b>'|e|indent(1)) is escaped }}", "&lt;a&gt;\n &lt;b&gt;|True"},
	{"{{ ('<b>x</b> &amp;'|safe)|striptags }}|{{ ('<b>x</b>'|safe).striptags() }}|{{ ('&lt;'|safe).unescape() }}", "x &|x|<"},
	{"{% autoescape true %}{{ '<a>' }}{{ '<b>'|safe }}{{ x }}{{ '<c>'|e }}{{ ('<d>'|safe) + '<e>' }}{% endautoescape %}", "&lt;a&gt;<b>a&amp;b&lt;c&gt;<d>&lt;e&gt;"},
	{"{% autoescape true %}{% macro m(x) %}<{{ x }}{% endmacro %}{{ m('<') }}|{{ m('<') is escaped }}{% endautoescape %}{% macro n() %}<{% endmacro %}|{{ n() }}|{{ n() is escaped }}", "<&lt;|True|<|False"},
	{"{% set m = '<'|safe %}{{ m * 3 }}|{{ (m * 3) is escaped }}|{{ m|upper is escaped }}|{{ m.upper() is escaped }}", "<<<|True|True|True"},
	{"{{ ('a'|safe) - 1 }}", "!TypeError: unsupported operand type(s) for -: 'Markup' and 'int'"},
	{"{{ ('a'|safe) < 1 }}", "!TypeError: '<' not supported between instances of 'Markup' and 'int'"},
	{"{{ ('a'|safe) + 1 }}", "!TypeError: unsupported operand type(s) for +: 'Markup' and 'int'"},
}

// TestMarkupTemplates: escape, forceescape and safe give a Markup; the escaped test, Markup's
// operators and methods, autoescaping and macros under autoescape behave as in Python.
func TestMarkupTemplates(t *testing.T) {
	for _, c := range markupTemplates {
		tpl := mustTemplate(t, jinja.Config{}, c[0])
		got, err := tpl.Render(context.Background(), map[string]any{"x": "a&b"})
		if err != nil {
			var je *jinja.Error
			if errors.As(err, &je) {
				got = "!" + je.Kind + ": " + je.Message
			} else {
				got = "!" + err.Error()
			}
		}
		if got != c[1] {
			t.Errorf("%q\n got: %q\nwant: %q", c[0], got, c[1])
		}
	}
}
