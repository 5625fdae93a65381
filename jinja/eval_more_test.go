package jinja_test

import (
	"testing"
)

func TestInheritance(t *testing.T) {
	base := map[string]string{"base": "<{% block body %}default{% endblock %}>", "mid": "{% extends 'base' %}{% block body %}M({{ super() }}){% endblock %}"}
	runCases(t, []renderCase{
		{name: "override", src: `{% extends 'base' %}{% block body %}child{% endblock %}`, templates: base, want: "<child>"},
		{name: "default", src: `{% extends 'base' %}ignored {{ 1 / 0 }}`, templates: base, want: "<default>"},
		{name: "super chain", src: `{% extends 'mid' %}{% block body %}C({{ super() }}){% endblock %}`, templates: base, want: "<C(M(default))>"},
		{name: "super super", src: `{% extends 'mid' %}{% block body %}{{ super.super() }}{% endblock %}`, templates: base, want: "<default>"},
		{name: "no parent block", src: `{% block b %}{{ super() }}{% endblock %}`, kind: "UndefinedError", line: 1, message: "there is no parent block called 'b'."},
		{name: "self", src: `{% block title %}T{% endblock %}|{{ self.title() }}`, want: "T|T"},
		{name: "self missing", src: `{{ self.nope() }}`, kind: "UndefinedError", line: 1, message: "'jinja2.runtime.TemplateReference object' has no attribute 'nope'"},
		{name: "scoped block", src: `{% extends 'b' %}{% block item %}[{{ x }}]{% endblock %}`, templates: map[string]string{"b": "{% for x in [1, 2] %}{% block item scoped %}{% endblock %}{% endfor %}"}, want: "[1][2]"},
		{name: "unscoped block", src: `{% for x in 'ab' %}{% block b %}[{{ x }}]{% endblock %}{% endfor %}`, want: "[][]"},
		{name: "required missing", src: `{% extends 'b' %}`, templates: map[string]string{"b": "{% block b required %}{% endblock %}"}, kind: "TemplateRuntimeError", line: 1, errName: "b", message: "Required block 'b' not found"},
		{name: "extended twice", src: `{% extends 'base' %}{% extends 'mid' %}`, templates: base, kind: "TemplateRuntimeError", line: 1, message: "extended multiple times"},
		{name: "conditional extends", src: `{% if alt %}{% extends 'base' %}{% endif %}{% block body %}!{% endblock %}`, templates: base, ctx: `{"alt": true}`, want: "<!>"},
		{name: "set before parent renders", src: `{% extends 'b' %}{% set title = 'T' %}{% block c %}{{ title }}{% endblock %}`, templates: map[string]string{"b": "{{ title }}|{% block c %}{% endblock %}"}, want: "T|T"},
		{name: "call block output after extends", src: `{% extends 'base' %}{% macro m() %}M{% endmacro %}{% set x %}{{ m() }}{% endset %}{{ x }}`, templates: base, want: "<default>"},
		{name: "error in parent", src: `{% extends 'b' %}`, templates: map[string]string{"b": "1\n2\n{{ nope.x }}"}, kind: "UndefinedError", line: 3, errName: "b"},
		{name: "error in child block", src: "{% extends 'base' %}\n{% block body %}\n{{ 1 + 'a' }}{% endblock %}", templates: base, kind: "TypeError", line: 3, errName: "main.j2"},
		{name: "extends none", src: `{% extends none %}`, kind: "AttributeError", line: 1, message: "'NoneType' object has no attribute 'split'"},
		{name: "block twice", src: `{% block a %}{% endblock %}{% block a %}{% endblock %}`, kind: "TemplateAssertionError", line: 1, message: "block 'a' defined twice"},
		{name: "extends in block", src: "{% block a %}\n{% extends 'base' %}{% endblock %}", templates: base, kind: "TemplateAssertionError", line: 2, message: "cannot use extend from a non top-level scope"},
		{name: "block self recursion", src: `{% block b %}{{ self.b() }}{% endblock %}`, kind: "RecursionError", line: 1},
	})
}

func TestIncludeImport(t *testing.T) {
	lib := map[string]string{
		"lib":  "text{% set v = 1 %}{% set _p = 2 %}{% macro m(x) %}<{{ x }}{{ who }}>{% endmacro %}",
		"part": "[{{ who }}{{ local }}]",
	}
	runCases(t, []renderCase{
		{name: "include sees context and locals", src: `{% set local = 'L' %}{% include 'part' %}`, templates: lib, ctx: `{"who": "W"}`, want: "[WL]"},
		{name: "include without context", src: `{% set local = 'L' %}{% include 'part' without context %}`, templates: lib, ctx: `{"who": "W"}`, want: "[]"},
		{name: "include loop variable", src: `{% for local in [1, 2] %}{% include 'part' %}{% endfor %}`, templates: lib, want: "[1][2]"},
		{name: "ignore missing", src: `a{% include 'nope' ignore missing %}b`, want: "ab"},
		{name: "missing", src: "a\n{% include 'nope' %}", kind: "TemplateNotFound", line: 2, message: "nope"},
		{name: "first of list", src: `{% include ['x', 'part'] %}`, templates: lib, want: "[]"},
		{name: "none of list", src: `{% include ['x', 'y'] %}`, kind: "TemplatesNotFound", line: 1, message: "none of the templates given were found: x, y"},
		{name: "empty list", src: `{% include none %}`, kind: "TemplatesNotFound", line: 1, message: "Tried to select from an empty list of templates."},
		{name: "syntax error inside", src: "ok\n{% include 'bad' %}", templates: map[string]string{"bad": "one\n{% if %}"}, kind: "TemplateSyntaxError", line: 2, errName: "bad"},
		{name: "runtime error inside", src: "{% include 'bad' %}", templates: map[string]string{"bad": "\n\n{{ 1 // 0 }}"}, kind: "ZeroDivisionError", line: 3, errName: "bad"},
		{name: "self include", src: `{% include 'main.j2' %}`, kind: "RecursionError", line: 1},
		{name: "bounded self include", src: `{% include 'r' %}`, templates: map[string]string{"r": "{% if n is not defined %}{% set n = 0 %}{% endif %}{{ n }}{% if n < 3 %}{% with n = n + 1 %}{% include 'r' %}{% endwith %}{% endif %}"}, want: "0123"},
		{name: "import module", src: `{% import 'lib' as l %}{{ l }}|{{ l.v }}|{{ l.m(1) }}|{{ l._p }}`, templates: lib, ctx: `{"who": "W"}`, want: "text|1|<1>|"},
		{name: "import with context", src: `{% import 'lib' as l with context %}{{ l.m(1) }}`, templates: lib, ctx: `{"who": "W"}`, want: "<1W>"},
		{name: "from import", src: `{% from 'lib' import m as mm, v %}{{ mm(v) }}`, templates: lib, want: "<1>"},
		{name: "from import missing", src: `{% from 'lib' import nope %}{{ nope() }}`, templates: lib, kind: "UndefinedError", line: 1,
			message: "the template 'lib' (imported on line 1 in 'main.j2') does not export the requested name 'nope'"},
		{name: "module attribute of missing", src: `{% import 'lib' as l %}{{ l.nope.x }}`, templates: lib, kind: "UndefinedError", line: 1,
			message: "'jinja2.environment.TemplateModule object' has no attribute 'nope'"},
		{name: "no loader", src: `{% include 'x' %}`, strEnv: true, kind: "TypeError", line: 1, message: "no loader for this environment specified"},
		{name: "macro not exported by include", src: `{% include 'm' %}{{ m() }}`, templates: map[string]string{"m": "{% macro m() %}{% endmacro %}"}, kind: "UndefinedError", line: 1},
	})
}

func TestErrors(t *testing.T) {
	runCases(t, []renderCase{
		{name: "undefined attr chain", src: "1\n2\n{{ x.y.z }}", ctx: `{"x": {}}`, kind: "UndefinedError", line: 3, message: "'dict object' has no attribute 'y'"},
		{name: "strict attr", src: "ok\n{{ d.absent }}", ctx: `{"d": {}}`, strEnv: true, kind: "UndefinedError", line: 2, errName: "<template>", message: "'dict object' has no attribute 'absent'"},
		{name: "lenient prints empty", src: `[{{ missing }}][{{ d.x }}][{{ l[3] }}]`, ctx: `{"d": {}, "l": []}`, want: "[][][]"},
		{name: "strict index", src: `{{ l[0] }}`, ctx: `{"l": []}`, strEnv: true, kind: "UndefinedError", line: 1, message: "list object has no element 0"},
		{name: "slice errors raise", src: `[{{ d[0:1] }}]`, ctx: `{"d": {"a": 1}}`, kind: "TypeError", line: 1},
		{name: "attr then item", src: `{{ d.items is callable }} {{ d['items'] }} {{ d.keys()|list }}`, ctx: `{"d": {"items": "v"}}`, want: "True v ['items']"},
		{name: "item then attr", src: `{{ s['upper']() }}`, ctx: `{"s": "x"}`, want: "X"},
		{name: "zero division", src: "a\n{{ 10 / (5 - 5) }}", kind: "ZeroDivisionError", line: 2, message: "division by zero"},
		{name: "error in if test", src: "\n{% if 1 < 'a' %}x{% endif %}", kind: "TypeError", line: 2},
		{name: "error in with value", src: "{% set x = 1 %}\n{% with a = x.y.z %}{{ a }}{% endwith %}", kind: "UndefinedError", line: 1},
		{name: "unknown filter", src: "a\n{{ 1|frob }}", kind: "TemplateAssertionError", line: 2, message: "No filter named 'frob'."},
		{name: "unknown filter in loop", src: `{% for i in [] %}{{ i|frob }}{% endfor %}`, kind: "TemplateAssertionError", line: 1},
		{name: "unknown filter in if is deferred", src: `{% if false %}{{ 1|frob }}{% endif %}ok`, want: "ok"},
		{name: "unknown filter in taken if", src: "{% if true %}\n{{ 1|frob }}{% endif %}", kind: "TemplateRuntimeError", line: 2, message: "No filter named 'frob' found."},
		{name: "unknown filter in inline if", src: `{{ 1|frob if false else 2 }}`, want: "2"},
		{name: "unknown test", src: `{{ 1 is frob }}`, kind: "TemplateAssertionError", line: 1, message: "No test named 'frob'."},
		{name: "unknown filter after known extends is not compiled", src: `{% extends 'b' %}{{ 1|frob }}`, templates: map[string]string{"b": "B"}, want: "B"},
		{name: "chained comparison", src: `{{ 1 < 2 < 3 }} {{ 1 < 3 < 2 }} {{ 3 > 2 == 2 }}`, want: "True False True"},
		{name: "short circuit", src: `{{ false and (1 / 0) }} {{ true or (1 / 0) }} {{ 0 or 'x' }}`, want: "False True x"},
		{name: "concat", src: `{{ 1 ~ none ~ 'a' ~ missing }}`, want: "1Nonea"},
		{name: "method extras", src: `{{ (255).bit_length() }} {{ 2.0.is_integer() }} {{ '{a}'.format_map({'a': 1}) }} {{ {}.fromkeys('ab', 0) }}`, want: "8 True 1 {'a': 0, 'b': 0}"},
	})
}

func TestSandbox(t *testing.T) {
	runCases(t, []renderCase{
		{name: "dunder attribute", src: "ok\n{{ s.__class__ }}", ctx: `{"s": "x"}`, strEnv: true, kind: "SecurityError", line: 2, message: "access to attribute '__class__' of 'str' object is unsafe."},
		{name: "dunder key of a dict is an item", src: `{{ n.__typename }} {{ n['__typename'] }}`, ctx: `{"n": {"__typename": "T"}}`, strEnv: true, want: "T T"},
		{name: "private namespace attribute", src: `{% set ns = namespace(_x=1) %}{{ ns._x }}`, strEnv: true, kind: "SecurityError", line: 1},
		{name: "private attribute test", src: `{{ s._private is defined }}`, ctx: `{"s": "x"}`, strEnv: true, want: "False"},
		{name: "range limit", src: `{{ range(200000)|length }}`, strEnv: true, kind: "OverflowError", line: 1, message: "Range too big. The sandbox blocks ranges larger than MAX_RANGE (100000)."},
		{name: "range at limit", src: `{{ range(100000)|length }}`, strEnv: true, want: "100000"},
		{name: "file env range", src: `{{ range(200000)|length }}`, want: "200000"},
		{name: "format", src: `{{ '{0} {n}'.format(s, n=1) }} {{ '{a}'.format_map(d) }} {{ '{0[a]} {0.a}'.format(d) }}`, ctx: `{"s": "ok", "d": {"a": 2}}`, strEnv: true, want: "ok 1 2 2 2"},
		{name: "format unsafe field", src: `{{ '{0.__class__}'.format(s) }}`, ctx: `{"s": "x"}`, strEnv: true, kind: "SecurityError", line: 1},
		// The sandbox formats with string.Formatter, whose messages differ from str.format's
		// (expectations from Python's SandboxedEnvironment).
		{name: "format manual then automatic", src: `{{ '{0} {}'.format(1, 2) }}`, ctx: `{}`, strEnv: true, kind: "ValueError", line: 1,
			message: "cannot switch from manual field specification to automatic field numbering"},
		{name: "format automatic then manual", src: `{{ '{} {0}'.format(1, 2) }}`, ctx: `{}`, strEnv: true, kind: "ValueError", line: 1,
			message: "cannot switch from manual field specification to automatic field numbering"},
		{name: "format index out of range", src: `{{ '{3}'.format(1) }}`, ctx: `{}`, strEnv: true, kind: "IndexError", line: 1, message: "tuple index out of range"},
		{name: "format lookups through the sandbox", src: `{{ '{0[1]}-{0.real}'.format(l) }}`, ctx: `{"l": [5, 6]}`, strEnv: true, kind: "UndefinedError", line: 1,
			message: "'list object' has no attribute 'real'"},
		{name: "format_map arguments", src: `{{ '{a}'.format_map(d, d) }}`, ctx: `{"d": {}}`, strEnv: true, kind: "TypeError", line: 1, message: "format_map() takes exactly one argument (2 given)"},
		{name: "mutation allowed", src: `{% set l = [] %}{{ l.append(1) }}{{ l }}`, strEnv: true, want: "None[1]"},
	})
}
