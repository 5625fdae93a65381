package jinja_test

import (
	"context"
	"errors"
	"testing"

	"github.com/infrahub-go/infrahub/jinja"
)

// renderCase is a template rendered in the file env (templates of a MapLoader, trim and lstrip
// blocks, lenient) or the string env (sandboxed, strict), with a JSON context.
type renderCase struct {
	name      string
	src       string
	ctx       string
	templates map[string]string
	strEnv    bool
	want      string // output
	kind      string // or the error's kind
	line      int
	errName   string
	message   string
}

func (c renderCase) run(t *testing.T) {
	t.Helper()
	var env *jinja.Env
	var err error
	if c.strEnv {
		env, err = jinja.New(jinja.StringEnv())
	} else {
		files := map[string]string{"main.j2": c.src}
		for k, v := range c.templates {
			files[k] = v
		}
		env, err = jinja.New(jinja.Config{Loader: jinja.MapLoader(files), TrimBlocks: true, LstripBlocks: true})
	}
	if err != nil {
		t.Fatal(err)
	}
	var tpl *jinja.Template
	if c.strEnv {
		tpl, err = env.FromString(c.src)
	} else {
		tpl, err = env.Get("main.j2")
	}
	out := ""
	if err == nil {
		ctx := c.ctx
		if ctx == "" {
			ctx = "{}"
		}
		out, err = tpl.RenderJSON(context.Background(), []byte(ctx))
	}
	if c.kind == "" {
		if err != nil || out != c.want {
			t.Fatalf("%s: got %q, %v; want %q", c.src, out, err, c.want)
		}
		return
	}
	var je *jinja.Error
	if !errors.As(err, &je) {
		t.Fatalf("%s: want %s, got %q, %v", c.src, c.kind, out, err)
	}
	if je.Kind != c.kind || je.Line != c.line || (c.message != "" && je.Message != c.message) || (c.errName != "" && je.Name != c.errName) {
		t.Fatalf("%s: got %s %q line %d: %s; want %s %q line %d: %s", c.src, je.Kind, je.Name, je.Line, je.Message, c.kind, c.errName, c.line, c.message)
	}
}

func runCases(t *testing.T, cases []renderCase) {
	for _, c := range cases {
		t.Run(c.name, c.run)
	}
}

func TestScoping(t *testing.T) {
	runCases(t, []renderCase{
		{name: "set in loop does not leak", src: `{% set y = 0 %}{% for x in [1, 2] %}{% set y = x %}{{ y }}{% endfor %}|{{ y }}`, want: "12|0"},
		{name: "loop body starts from outer value", src: `{% set c = 0 %}{% for i in [1, 2] %}{{ c }}{% set c = 5 %}{{ c }}{% endfor %}`, want: "0505"},
		{name: "loop reads context until set", src: `{% for i in [1, 2] %}[{{ c }}]{% set c = i %}{% endfor %}`, ctx: `{"c": "ctx"}`, want: "[ctx][ctx]"},
		{name: "set in if leaks", src: `{% if true %}{% set x = 1 %}{% endif %}{{ x }}`, want: "1"},
		{name: "namespace crosses loops", src: `{% set ns = namespace(n=0) %}{% for i in range(4) %}{% set ns.n = ns.n + i %}{% endfor %}{{ ns.n }}`, want: "6"},
		{name: "namespace tuple target", src: `{% set ns = namespace() %}{% set ns.a, ns.b = 1, 2 %}{{ ns.a }}{{ ns.b }}`, want: "12"},
		{name: "set attr of non namespace", src: `{% set d = {} %}{% set d.x = 1 / 0 %}`, kind: "TemplateRuntimeError", line: 1, message: "cannot assign attribute on non-namespace object"},
		{name: "macro late binding", src: `{% macro m() %}{{ late }}{% endmacro %}{% set late = 'L' %}{{ m() }}`, want: "L"},
		{name: "macro sees root local before its set as undefined", src: `{% macro m() %}[{{ late }}]{% endmacro %}{{ m() }}{% set late = 'L' %}{{ m() }}`, ctx: `{"late": "ctx"}`, want: "[][L]"},
		{name: "branch-only set resolves from context", src: `{% macro m() %}[{{ late }}]{% endmacro %}{{ m() }}{% if false %}{% set late = 'L' %}{% endif %}`, ctx: `{"late": "ctx"}`, want: "[ctx]"},
		{name: "macro closes over loop variable", src: `{% for i in [1, 2] %}{% macro m() %}{{ i }}{% endmacro %}{{ m() }}{% endfor %}`, want: "12"},
		{name: "macro set is local", src: `{% macro m() %}{% set x = 'in' %}{{ x }}{% endmacro %}{% set x = 'out' %}{{ m() }}{{ x }}`, want: "inout"},
		{name: "caller sees call site, not macro loop", src: `{% macro rows(items) %}{% for i in items %}{{ caller(i) }}{% endfor %}{% endmacro %}{% call(r) rows([1, 2]) %}{{ r }}{{ loop is defined }}{% endcall %}`, want: "1False2False"},
		{name: "with values in outer scope", src: `{% with a = 1, b = a %}{{ b }}{% endwith %}[{{ a }}]`, ctx: `{"a": "ctx"}`, want: "ctx[ctx]"},
		{name: "with scoping", src: `{% set x = 'out' %}{% with x = 'in' %}{% set y = 1 %}{{ x }}{% endwith %}{{ x }}[{{ y }}]`, want: "inout[]"},
		{name: "set block is local", src: `{% set x %}{% set y = 1 %}{{ y }}{% endset %}{{ x }}[{{ y }}]`, want: "1[]"},
		{name: "set block with filter", src: `{% set s | upper %}ab{% endset %}{{ s }}`, want: "AB"},
		{name: "tuple unpack", src: `{% set a, (b, c) = 1, (2, 3) %}{{ a }}{{ b }}{{ c }}`, want: "123"},
		{name: "unpack too few", src: `{% set a, b = [1] %}`, kind: "ValueError", line: 1, message: "not enough values to unpack (expected 2, got 1)"},
		{name: "unpack too many", src: "\n{% for a, b in [[1, 2, 3]] %}{% endfor %}", kind: "ValueError", line: 2, message: "too many values to unpack (expected 2)"},
		{name: "unpack non iterable", src: `{% set a, b = 1 %}`, kind: "TypeError", line: 1, message: "cannot unpack non-iterable int object"},
		{name: "top-level set seen by blocks", src: `{% set x = 1 %}{% block b %}{{ x }}{% endblock %}`, want: "1"},
		{name: "context shadowing a global", src: `{{ range }}`, ctx: `{"range": "mine"}`, want: "mine"},
		{name: "set overrides context", src: `{{ x }}{% set x = 'new' %}{{ x }}`, ctx: `{"x": "old"}`, want: "oldnew"},
		{name: "strict undefined iteration is empty", src: `{% for x in missing %}{{ x }}{% else %}none{% endfor %}`, strEnv: true, want: "none"},
		{name: "implicit else is lenient in strict env", src: `[{{ 'a' if false }}]`, strEnv: true, want: "[]"},
		{name: "implicit else message", src: `{{ ('a' if false) + 'b' }}`, strEnv: true, kind: "UndefinedError", line: 1,
			message: "the inline if-expression on line 1 evaluated to false and no else section was defined."},
	})
}

func TestLoopObject(t *testing.T) {
	runCases(t, []renderCase{
		{name: "indexes", src: `{% for x in 'abc' %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.revindex0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }} {% endfor %}`,
			want: "1032TrueFalse3 2121FalseFalse3 3210FalseTrue3 "},
		{name: "prev next", src: `{% for x in [1, 2, 3] %}({{ loop.previtem }}|{{ loop.nextitem }}){% endfor %}`, want: "(|2)(1|3)(2|)"},
		{name: "previtem strict", src: `{% for x in [1, 2] %}{{ loop.previtem }}{% endfor %}`, strEnv: true, kind: "UndefinedError", line: 1, message: "there is no previous item"},
		{name: "cycle changed", src: `{% for x in [1, 1, 2] %}{{ loop.cycle('a', 'b') }}{{ loop.changed(x) }} {% endfor %}`, want: "aTrue bFalse aTrue "},
		{name: "cycle without items", src: `{% for x in [1] %}{{ loop.cycle() }}{% endfor %}`, kind: "TypeError", line: 1, message: "no items for cycling given"},
		{name: "filtered length and last", src: `{% for x in range(10) if x is odd %}{{ loop.index }}/{{ loop.length }}{{ '.' if loop.last }} {% endfor %}`, want: "1/5 2/5 3/5 4/5 5/5. "},
		{name: "filtered previtem is the repacked target", src: `{% for a, b in [[1, 2], [3, 4]] if a %}{{ loop.previtem }}{% endfor %}`, want: "(1, 2)"},
		{name: "generator length", src: `{% for x in [3, 2, 1]|map('abs') %}{{ loop.revindex }}{% endfor %}`, want: "321"},
		{name: "else", src: `{% for x in [] %}x{% else %}empty{% endfor %}`, want: "empty"},
		{name: "recursive", src: `{% for n in tree recursive %}{{ n.name }}@{{ loop.depth }}{% if n.kids %}({{ loop(n.kids) }}){% endif %}{% endfor %}`,
			ctx: `{"tree": [{"name": "a", "kids": [{"name": "b"}, {"name": "c", "kids": [{"name": "d"}]}]}, {"name": "e"}]}`, want: "a@1(b@2c@2(d@3))e@1"},
		{name: "call without recursive", src: `{% for x in [1] %}{{ loop([2]) }}{% endfor %}`, kind: "TypeError", line: 1, message: "The loop must have the 'recursive' marker to be called recursively."},
		{name: "loop not visible to includes", src: `{% for item in [1] %}{% include 'p' %}{% endfor %}`, templates: map[string]string{"p": "{{ item }}{{ loop.index }}"}, kind: "UndefinedError", line: 1, errName: "p"},
		{name: "unknown attribute strict", src: `{% for x in [1] %}{{ loop.nope }}{% endfor %}`, strEnv: true, kind: "UndefinedError", line: 1,
			message: "'jinja2.runtime.AsyncLoopContext object' has no attribute 'nope'"},
		{name: "assign to loop", src: `{% for x in [1] %}{% set loop = 1 %}{% endfor %}`, kind: "TemplateAssertionError", line: 1, message: "Can't assign to special loop variable in for-loop target"},
		{name: "not iterable", src: "a\n{% for x in 5 %}{% endfor %}", kind: "TypeError", line: 2, message: "'int' object is not iterable"},
		{name: "error line in body", src: "{% for i in items %}\n{{ i + 1 }}\n{% endfor %}", ctx: `{"items": [1, "a"]}`, kind: "TypeError", line: 2},
		{name: "live list", src: `{% set l = [1] %}{% for x in l %}{% if x < 3 %}{{ l.append(x + 1) or '' }}{% endif %}{{ x }}{% endfor %}`, want: "123"},
	})
}

func TestMacros(t *testing.T) {
	runCases(t, []renderCase{
		{name: "defaults", src: `{% macro f(a, b=a * 2, c=d) %}{{ a }}{{ b }}{{ c }}{% endmacro %}{{ f(1) }} {{ f(1, c=5) }}`, ctx: `{"d": "D"}`, want: "12D 125"},
		{name: "varargs kwargs", src: `{% macro f(a) %}{{ a }}{{ varargs }}{{ kwargs }}{% endmacro %}{{ f(0, 8, k=7) }}`, want: "0(8,){'k': 7}"},
		{name: "attributes", src: `{% macro g(a, b=1) %}{% endmacro %}{{ g.name }}|{{ g.arguments }}|{{ g.catch_kwargs }}|{{ g.catch_varargs }}|{{ g.caller }}|{{ g }}`,
			want: "g|('a', 'b')|False|False|False|<Macro 'g'>"},
		{name: "too many positional", src: `{% macro f(a) %}{% endmacro %}{{ f(1, 2) }}`, kind: "TypeError", line: 1, message: "macro 'f' takes not more than 1 argument(s)"},
		{name: "unknown keyword", src: `{% macro f(a) %}{% endmacro %}{{ f(1, z=2) }}`, kind: "TypeError", line: 1, message: "macro 'f' takes no keyword argument 'z'"},
		{name: "caller not used", src: `{% macro m() %}M{% endmacro %}{% call m() %}c{% endcall %}`, kind: "TypeError", line: 1,
			message: "macro 'm' was invoked with two values for the special caller argument. This is most likely a bug."},
		{name: "missing parameter strict", src: `{% macro f(a, b) %}[{{ b }}]{% endmacro %}{{ f(1) }}`, strEnv: true, kind: "UndefinedError", line: 1, message: "parameter 'b' was not provided"},
		{name: "call block args", src: `{% macro each(items) %}{% for i in items %}{{ caller(i, loop.index) }}{% endfor %}{% endmacro %}{% call(item, n) each('ab') %}{{ n }}={{ item }};{% endcall %}`, want: "1=a;2=b;"},
		{name: "caller is anonymous", src: `{% macro m() %}{{ caller.name }}{{ caller }}{% endmacro %}{% call m() %}{% endcall %}`, want: "None<Macro anonymous>"},
		{name: "no caller", src: `{% macro m() %}{{ caller() }}{% endmacro %}{{ m() }}`, kind: "UndefinedError", line: 1, message: "No caller defined"},
		{name: "caller argument without default", src: `{% macro m(caller) %}{{ caller }}{% endmacro %}`, kind: "TemplateAssertionError", line: 1},
		{name: "error line inside macro", src: "{% macro m(v) %}\n\n{{ v * {} }}\n{% endmacro %}\n{{ m(1) }}", kind: "TypeError", line: 3},
		{name: "recursion", src: `{% macro fact(n) %}{% if n <= 1 %}1{% else %}{{ n * fact(n - 1)|int }}{% endif %}{% endmacro %}{{ fact(5) }}`, want: "120"},
		{name: "infinite recursion", src: `{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}`, kind: "RecursionError", line: 1},
		{name: "star args", src: `{% macro f(a, b, c) %}{{ a }}{{ b }}{{ c }}{% endmacro %}{{ f(*[1, 2], **{'c': 3}) }}`, want: "123"},
		{name: "duplicate keyword via kwargs", src: `{% macro f(a) %}{% endmacro %}{{ f(a=1, **{'a': 2}) }}`, kind: "TypeError", line: 1,
			message: "jinja2.runtime.Context.call() got multiple values for keyword argument 'a'"},
		{name: "repeated keyword", src: `{{ f(a=1, a=2) }}`, kind: "SyntaxError", line: 0, message: "keyword argument repeated: a (line 1)"},
		{name: "call undefined", src: `{{ nope() }}`, kind: "UndefinedError", line: 1, message: "'nope' is undefined"},
		{name: "call non callable", src: `{{ x() }}`, ctx: `{"x": 1}`, kind: "TypeError", line: 1, message: "'int' object is not callable"},
	})
}
