package jinja_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/infrahub-go/infrahub/fault"
	"github.com/infrahub-go/infrahub/jinja"
	"github.com/infrahub-go/infrahub/jinja/value"
)

func mustTemplate(t *testing.T, cfg jinja.Config, src string) *jinja.Template {
	t.Helper()
	env, err := jinja.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	tpl, err := env.FromString(src)
	if err != nil {
		t.Fatal(err)
	}
	return tpl
}

func wantKind(t *testing.T, err error, kind string) *jinja.Error {
	t.Helper()
	var je *jinja.Error
	if !errors.As(err, &je) || je.Kind != kind {
		t.Fatalf("want a %s, got %v", kind, err)
	}
	return je
}

func TestLimits(t *testing.T) {
	small := jinja.Config{Limits: jinja.Limits{OutputBytes: 100, LoopIterations: 50, RecursionDepth: 10}}
	ctx := context.Background()

	_, err := mustTemplate(t, small, `{% for i in range(10) %}{{ 'x' * 20 }}{% endfor %}`).Render(ctx, nil)
	if je := wantKind(t, err, "LimitError"); !errors.Is(je, fault.ErrTooLarge) || !strings.Contains(je.Message, "100 bytes") {
		t.Fatalf("output limit: %v", je)
	}
	_, err = mustTemplate(t, small, `{% for i in range(30) %}{% for j in range(2) %}{% endfor %}{% endfor %}`).Render(ctx, nil)
	if je := wantKind(t, err, "LimitError"); !strings.Contains(je.Message, "50 iterations") {
		t.Fatalf("loop limit: %v", je)
	}
	_, err = mustTemplate(t, small, `{% for i in range(1000) if false %}{% endfor %}`).Render(ctx, nil)
	wantKind(t, err, "LimitError")
	_, err = mustTemplate(t, small, `{% macro m(n) %}{{ m(n + 1) }}{% endmacro %}{{ m(0) }}`).Render(ctx, nil)
	if je := wantKind(t, err, "RecursionError"); je.Line != 1 || !strings.Contains(je.Message, "limit is 10") || !errors.Is(je, fault.ErrTooLarge) {
		t.Fatalf("recursion limit: %v", je)
	}
	out, err := mustTemplate(t, small, `{% macro m(n) %}{% if n < 9 %}{{ m(n + 1) }}{% else %}{{ n }}{% endif %}{% endmacro %}{{ m(0) }}`).Render(ctx, nil)
	if err != nil || out != "9" {
		t.Fatalf("10 levels must pass: %q %v", out, err)
	}

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	_, err = mustTemplate(t, jinja.Config{}, `x`).Render(cancelled, nil)
	if je := wantKind(t, err, "CancelledError"); !errors.Is(je, context.Canceled) || !errors.Is(je, fault.ErrUnavailable) {
		t.Fatalf("cancelled: %v", je)
	}

	if _, err := jinja.New(jinja.Config{Limits: jinja.Limits{OutputBytes: -1}}); !errors.Is(err, fault.ErrInvalid) {
		t.Fatalf("negative limit: %v", err)
	}
	if _, err := jinja.New(jinja.Config{Limits: jinja.Limits{RecursionDepth: jinja.MaxRecursionDepth + 1}}); !errors.Is(err, fault.ErrInvalid) {
		t.Fatalf("recursion limit over the maximum: %v", err)
	}
	deepest := jinja.Config{Limits: jinja.Limits{RecursionDepth: jinja.MaxRecursionDepth}}
	_, err = mustTemplate(t, deepest, `{% macro m(n) %}{{ m(n + 1)|string }}{% endmacro %}{{ m(0) }}`).Render(ctx, nil)
	wantKind(t, err, "RecursionError")
	_, err = mustTemplate(t, deepest, `{% for n in [[]] recursive %}{{ loop([n]) }}{% endfor %}`).Render(ctx, nil)
	wantKind(t, err, "RecursionError")
}

// TestCancelInLoop cancels the render from a filter while a long loop runs.
func TestCancelInLoop(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg := jinja.Config{Filters: map[string]jinja.Filter{"stop": func(r jinja.Runtime, v value.Value, _ jinja.Args) (value.Value, error) {
		cancel()
		return v, nil
	}}}
	_, err := mustTemplate(t, cfg, `{% for i in range(100000) %}{{ i|stop }}{% endfor %}`).Render(ctx, nil)
	wantKind(t, err, "CancelledError")
}

func TestRenderContextOrder(t *testing.T) {
	tpl := mustTemplate(t, jinja.Config{}, `{% for k in d %}{{ k }}{% endfor %}|{{ d }}`)
	out, err := tpl.RenderJSON(context.Background(), []byte(`{"d": {"z": 1, "a": {"y": 2, "b": 3}}}`))
	if err != nil || out != "za|{'z': 1, 'a': {'y': 2, 'b': 3}}" {
		t.Fatalf("RenderJSON keeps the JSON order: %q %v", out, err)
	}
	out, err = tpl.Render(context.Background(), map[string]any{"d": map[string]any{"z": 1, "a": 2}})
	if err != nil || out != "az|{'a': 2, 'z': 1}" {
		t.Fatalf("Render sorts a Go map: %q %v", out, err)
	}
	if _, err := tpl.RenderJSON(context.Background(), []byte(`[1]`)); err == nil {
		t.Fatal("a JSON array is not a context")
	}
	if _, err := tpl.RenderJSON(context.Background(), []byte(`{`)); err == nil {
		t.Fatal("invalid JSON")
	}
}

func TestGetCacheAndConcurrency(t *testing.T) {
	files := map[string]string{"a.j2": "{% for i in range(n) %}{{ i }}{% endfor %}", "bad.j2": "{% if %}"}
	env, err := jinja.New(jinja.Config{Loader: jinja.MapLoader(files)})
	if err != nil {
		t.Fatal(err)
	}
	t1, err := env.Get("a.j2")
	if err != nil {
		t.Fatal(err)
	}
	if t2, _ := env.Get("a.j2"); t2 != t1 {
		t.Fatal("the same content must give the cached template")
	}
	files["a.j2"] = "changed"
	if t3, _ := env.Get("a.j2"); t3 == t1 {
		t.Fatal("new content must be parsed again")
	}
	if _, err := env.Get("nope.j2"); wantKind(t, err, "TemplateNotFound").Name != "nope.j2" {
		t.Fatal(err)
	}
	if je := wantKind(t, func() error { _, err := env.Get("bad.j2"); return err }(), "TemplateSyntaxError"); je.Name != "bad.j2" || je.Line != 1 {
		t.Fatalf("syntax error: %+v", je)
	}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := t1.Render(context.Background(), map[string]any{"n": i})
			want := ""
			for j := range i {
				want += fmt.Sprint(j)
			}
			if err != nil || out != want {
				t.Errorf("render %d: %q %v", i, out, err)
			}
			if _, err := env.Get("a.j2"); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
}

func TestFiltersAndRuntime(t *testing.T) {
	cfg := jinja.Config{Filters: map[string]jinja.Filter{
		"via": func(r jinja.Runtime, v value.Value, a jinja.Args) (value.Value, error) {
			return r.Call(v, jinja.Args{Pos: a.Pos})
		},
		"attr2": func(r jinja.Runtime, v value.Value, a jinja.Args) (value.Value, error) {
			return r.GetAttr(v, a.Pos[0].(string)), nil
		},
		"nested": func(r jinja.Runtime, v value.Value, _ jinja.Args) (value.Value, error) {
			return r.Filter("nosuch", v, jinja.Args{})
		},
		"boom": func(jinja.Runtime, value.Value, jinja.Args) (value.Value, error) { panic("boom") },
	}}
	tpl := mustTemplate(t, cfg, `{% macro m(x) %}<{{ x }}>{% endmacro %}{{ m|via(1) }}{{ d|attr2('a') }}[{{ d|attr2('b') }}]`)
	out, err := tpl.RenderJSON(context.Background(), []byte(`{"d": {"a": 5}}`))
	if err != nil || out != "<1>5[]" {
		t.Fatalf("%q %v", out, err)
	}
	_, err = mustTemplate(t, cfg, "\n{{ 1|nested }}").Render(context.Background(), nil)
	if je := wantKind(t, err, "TemplateRuntimeError"); je.Line != 2 || je.Message != "No filter named 'nosuch'." {
		t.Fatalf("%+v", je)
	}
	_, err = mustTemplate(t, cfg, `{{ 1|boom }}`).Render(context.Background(), nil)
	wantKind(t, err, "InternalError")
}

// markup is a value already escaped (markupsafe's __html__).
type markup string

func (m markup) TypeName() string                { return "Markup" }
func (m markup) Attr(string) (value.Value, bool) { return nil, false }
func (m markup) PyStr() (string, error)          { return string(m), nil }
func (m markup) HTML() string                    { return string(m) }

func TestAutoescape(t *testing.T) {
	cfg := jinja.Config{Filters: map[string]jinja.Filter{"safe": func(_ jinja.Runtime, v value.Value, _ jinja.Args) (value.Value, error) {
		s, err := value.Str(v)
		return markup(s), err
	}}}
	tpl := mustTemplate(t, cfg, `{{ x }}{% autoescape true %}{{ x }}{{ x|safe }}{% endautoescape %}{% autoescape false %}{{ x }}{% endautoescape %}`)
	out, err := tpl.RenderJSON(context.Background(), []byte(`{"x": "<a href='1'>&\""}`))
	want := `<a href='1'>&"` + `&lt;a href=&#39;1&#39;&gt;&amp;&#34;` + `<a href='1'>&"` + `<a href='1'>&"`
	if err != nil || out != want {
		t.Fatalf("got %q, %v\nwant %q", out, err, want)
	}
}
