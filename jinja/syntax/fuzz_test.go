package syntax

import (
	"errors"
	"os"
	"strings"
	"testing"
)

// FuzzParse: the lexer and the parser never panic, always end, and give lines within the source.
// Seeds: every case of zz_cases_test.go and the templates of the shared corpus when present.
func FuzzParse(f *testing.F) {
	for _, c := range lexCases {
		f.Add(c.src, uint8(len(c.flags)))
	}
	for _, c := range parseCases {
		f.Add(c.src, uint8(3))
	}
	for _, c := range errorCases {
		f.Add(c.src, uint8(0))
	}
	f.Add(strings.Repeat("{{ (", 300), uint8(0))
	f.Add(strings.Repeat("{% if x %}", 300), uint8(3))
	for _, path := range corpusFiles() {
		if src, err := os.ReadFile(path); err == nil {
			f.Add(string(src), uint8(3))
		}
	}
	f.Fuzz(func(t *testing.T, src string, flags uint8) {
		opts := Options{TrimBlocks: flags&1 != 0, LstripBlocks: flags&2 != 0, KeepTrailingNewline: flags&4 != 0}
		maxLine := strings.Count(src, "\n") + strings.Count(src, "\r") + 1
		toks, err := Tokenize(src, opts)
		last := 1
		for _, tok := range toks {
			if tok.Line < last || tok.Line > maxLine {
				t.Fatalf("token %v at line %d after line %d (source has %d)", tok.Kind, tok.Line, last, maxLine)
			}
			last = tok.Line
		}
		checkError(t, err, maxLine)
		tpl, err := Parse(src, opts)
		checkError(t, err, maxLine)
		if err != nil {
			return
		}
		tpl.WalkTemplate(func(n Node) bool {
			if l := n.Lineno(); l < 0 || l > maxLine {
				t.Fatalf("%s at line %d (source has %d)", KindOf(n), l, maxLine)
			}
			return true
		})
		_ = tpl.FilterNames()
	})
}

func checkError(t *testing.T, err error, maxLine int) {
	if err == nil {
		return
	}
	var se *Error
	if !errors.As(err, &se) || se.Message == "" || se.Line < 1 || se.Line > maxLine {
		t.Fatalf("bad error %#v", err)
	}
}

func corpusFiles() []string {
	var files []string
	_ = walkJ2("../../../shared/corpus", &files)
	return files
}
