package commands

import (
	"bytes"
	"encoding/json"
	"testing"
)

// skipValue finds the end of every valid JSON value, whatever its strings hold (runs of
// backslashes before a quote, escaped quotes, brackets inside strings).
func TestSkipValueEndsValidValues(t *testing.T) {
	for _, s := range []string{
		`"a"`, `""`, `"\""`, `"\\"`, `"\\\""`, `"\\\\"`, `"a\"b\\"`, `"\u0022"`, `"]}\"{["`,
		`{"a":"\\","b":["\"]",{"c":"\\\\\""}]}`, `[]`, `{}`, `[[],{},"x\\"]`, `123`, `-1.5e3`, `true`, `null`,
	} {
		if !json.Valid([]byte(s)) {
			t.Fatalf("bad case %s", s)
		}
		if got := skipValue([]byte(s+","), 0); got != len(s) {
			t.Errorf("skipValue(%s) = %d, want %d", s, got, len(s))
		}
	}
	for _, s := range []string{`"abc`, `"abc\"`, `"\\\"`, `{"a":"b"`, `["\"]`} {
		if got := skipValue([]byte(s), 0); got >= 0 {
			t.Errorf("skipValue(%s) = %d, want -1 (no end)", s, got)
		}
	}
}

// skipValue ends every valid JSON value where it ends.
func FuzzSkipValue(f *testing.F) {
	for _, s := range []string{`{"a":"\\\"","b":[1,"]"]}`, `"\\\\\""`, `[{"x":"\""}]`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b := bytes.TrimSpace([]byte(s))
		if len(b) == 0 || !json.Valid(b) {
			return
		}
		if got := skipValue(b, 0); got != len(b) {
			t.Fatalf("skipValue(%q) = %d, want %d", b, got, len(b))
		}
	})
}
