package syntax

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/infrahub-go/infrahub/fault"
)

// The cases of zz_cases_test.go come from Python Jinja2 3.1.6 (testdata/gen.py).

type lexCase struct {
	flags, src, want, wantErr string
}

type parseCase struct {
	src, want string
}

type errorCase struct {
	src, class string
	line       int
	message    string
}

func optsOf(flags string) Options {
	return Options{
		TrimBlocks:          strings.Contains(flags, "t"),
		LstripBlocks:        strings.Contains(flags, "l"),
		KeepTrailingNewline: strings.Contains(flags, "k"),
	}
}

func TestTokenizeMatchesJinja2(t *testing.T) {
	for i, c := range lexCases {
		t.Run(fmt.Sprintf("%d", i), func(t *testing.T) {
			toks, err := Tokenize(c.src, optsOf(c.flags))
			if c.wantErr != "" {
				var se *Error
				if !errors.As(err, &se) {
					t.Fatalf("Tokenize(%q, %q): no error, want %q", c.src, c.flags, c.wantErr)
				}
				if got := fmt.Sprintf("%d: %s", se.Line, se.Message); got != c.wantErr {
					t.Fatalf("Tokenize(%q, %q) error:\n got %s\nwant %s", c.src, c.flags, got, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Tokenize(%q, %q): %v", c.src, c.flags, err)
			}
			if got := dumpTokens(toks); got != c.want {
				t.Fatalf("Tokenize(%q, %q):\n got:\n%s\nwant:\n%s", c.src, c.flags, got, c.want)
			}
		})
	}
}

func TestParseTreesMatchJinja2(t *testing.T) {
	for i, c := range parseCases {
		t.Run(fmt.Sprintf("%d", i), func(t *testing.T) {
			tpl, err := Parse(c.src, Options{})
			if err != nil {
				t.Fatalf("Parse(%q): %v", c.src, err)
			}
			if got := dumpTemplate(tpl); got != c.want {
				t.Fatalf("Parse(%q):\n got %s\nwant %s", c.src, got, c.want)
			}
		})
	}
}

func TestSyntaxErrorsMatchJinja2(t *testing.T) {
	if len(errorCases) < 40 {
		t.Fatalf("only %d error cases", len(errorCases))
	}
	for i, c := range errorCases {
		t.Run(fmt.Sprintf("%d", i), func(t *testing.T) {
			_, err := Parse(c.src, Options{Name: "t.j2"})
			var se *Error
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q) = %v, want %s %q", c.src, err, c.class, c.message)
			}
			if se.Message != c.message || se.Line != c.line {
				t.Fatalf("Parse(%q):\n got line %d: %s\nwant line %d: %s", c.src, se.Line, se.Message, c.line, c.message)
			}
			if se.Assertion != (c.class == "TemplateAssertionError") || se.Name != "t.j2" {
				t.Fatalf("Parse(%q): assertion %v name %q, want class %s", c.src, se.Assertion, se.Name, c.class)
			}
			if !errors.Is(err, fault.ErrInvalid) {
				t.Fatalf("Parse(%q): the error is not fault.ErrInvalid", c.src)
			}
		})
	}
}

func TestNestingIsBounded(t *testing.T) {
	for name, src := range map[string]string{
		"parens":        "{{ " + strings.Repeat("(", 1000) + "1" + strings.Repeat(")", 1000) + " }}",
		"lists":         "{{ " + strings.Repeat("[", 1000) + strings.Repeat("]", 1000) + " }}",
		"unary":         "{{ " + strings.Repeat("-", 1000) + "1 }}",
		"not":           "{{ " + strings.Repeat("not ", 1000) + "1 }}",
		"ifs":           strings.Repeat("{% if x %}", 1000) + strings.Repeat("{% endif %}", 1000),
		"cond":          "{{ 1" + strings.Repeat(" if x else 1", 1000) + " }}",
		"calls":         "{{ " + strings.Repeat("f(x|g(", 500) + strings.Repeat("))", 500) + " }}",
		"filters":       "{{ x" + strings.Repeat("|f", 1000) + " }}",
		"adds":          "{{ x" + strings.Repeat(" + x", 1000) + " }}",
		"attrs":         "{{ x" + strings.Repeat(".a", 1000) + " }}",
		"ors":           "{{ x" + strings.Repeat(" or x", 1000) + " }}",
		"conds":         "{{ x" + strings.Repeat(" if x", 1000) + " }}",
		"block filters": "{% filter f" + strings.Repeat("|f", 1000) + " %}{% endfilter %}",
	} {
		_, err := Parse(src, Options{})
		var se *Error
		if !errors.As(err, &se) || !strings.Contains(se.Message, "nests deeper than") {
			t.Errorf("%s: Parse = %v, want the nesting error", name, err)
		}
	}
	// what Jinja2 itself accepts stays accepted
	for name, src := range map[string]string{
		"parens": "{{ " + strings.Repeat("(", 60) + "1" + strings.Repeat(")", 60) + " }}",
		"ifs":    strings.Repeat("{% if x %}", 200) + strings.Repeat("{% endif %}", 200),
		"unary":  "{{ " + strings.Repeat("-", 200) + "1 }}",
		"chains": "{{ x" + strings.Repeat(".a", 100) + strings.Repeat("|f", 100) + strings.Repeat(" + x", 100) + " }}",
		"flat":   "{{ f(" + strings.Repeat("x|f + y.a, ", 1000) + ") }}{{ x" + strings.Repeat(" ~ x", 1000) + strings.Repeat(" < x", 1000) + " }}",
	} {
		if _, err := Parse(src, Options{}); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestFilterNamesInFindAllOrder(t *testing.T) {
	tpl, err := Parse(`{{ x|a|b(y|c) }}{% filter d|e %}{{ z|a }}{% endfilter %}{% set v | f %}{% endset %}`+
		`{% for i in l|g if i|h %}{{ i is t(k|j) }}{% endfor %}{% macro m(p=q|k) %}{% endmacro %}`, Options{})
	if err != nil {
		t.Fatal(err)
	}
	// Jinja2: [n.name for n in env.parse(src).find_all(nodes.Filter)] is
	// ['b', 'a', 'c', 'a', 'e', 'd', 'f', 'g', 'j', 'h', 'k']
	want := []string{"b", "a", "c", "e", "d", "f", "g", "j", "h", "k"}
	if got := tpl.FilterNames(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("FilterNames = %v, want %v", got, want)
	}
}

func TestTopLevelKinds(t *testing.T) {
	tpl, err := Parse(`a{{ b }}{% include 'x' %}{% import 'y' as z %}{% from 'y' import w %}{% if c %}{% include 'q' %}{% endif %}`+
		`{% call m() %}{% endcall %}{% autoescape true %}{% endautoescape %}{% set s = 1 %}`, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := "Output,Include,Import,FromImport,If,CallBlock,Scope,Assign"
	if got := strings.Join(tpl.TopLevelKinds(), ","); got != want {
		t.Fatalf("TopLevelKinds = %s, want %s", got, want)
	}
}

// The templates of the shared corpus parse in both of Infrahub's environments.
func TestCorpusTemplatesParse(t *testing.T) {
	files := corpusTemplates(t)
	for _, path := range files {
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Parse(string(src), Options{TrimBlocks: true, LstripBlocks: true, Name: filepath.Base(path)}); err != nil {
			t.Errorf("%s: %v", path, err)
		}
	}
}

func walkJ2(root string, files *[]string) error {
	return filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".j2") {
			*files = append(*files, path)
		}
		return nil
	})
}

func corpusTemplates(t testing.TB) []string {
	files := corpusFiles()
	if len(files) == 0 {
		t.Skip("no shared corpus next to the checkout")
	}
	return files
}
