package nodetx

import (
	"encoding/json"
	"reflect"
	"testing"
)

// The fast reads of command values give what json.Unmarshal gives, or leave it to it.
func TestScalarIsUnmarshal(t *testing.T) {
	inputs := []string{`"abc"`, `""`, ` "x" `, `"ü 日本 🚀"`, `"a\"b"`, `"a\nb"`, `"\u00e9"`, "\"bad \xff\"", "\"ctl \x01\"", `"<&>"`,
		`0`, `-0`, `12`, `-12.5`, `1e3`, `1E+3`, `2.5e-7`, `1e400`, `01`, `1.`, `.5`, `-`, `+1`, `0x10`, `-Inf`, `NaN`, `1_000`, `1e`,
		`true`, `false`, `null`, `nul`, `True`, `[]`, `{}`, `["a"]`, `{"value": 1}`, ``, `"unterminated`, `"a"b"`}
	for _, in := range inputs {
		var want any
		werr := json.Unmarshal([]byte(in), &want)
		got, ok := scalar([]byte(in))
		if !ok {
			continue
		}
		if werr != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("scalar(%q) = %#v; json.Unmarshal: %#v, %v", in, got, want, werr)
		}
	}
	lists := []string{`[]`, `[ ]`, `["a"]`, `["a","b"]`, ` [ "a" , "b" ] `, `["a",]`, `["a" "b"]`, `["a\"b"]`, `["a",1]`, `[["a"]]`,
		`["a"`, `"a"]`, "[\"\xff\"]", `[,"a"]`, `["a",,"b"]`}
	for _, in := range lists {
		var want []any
		werr := json.Unmarshal([]byte(in), &want)
		got, ok := plainStrings([]byte(in))
		if !ok {
			continue
		}
		if werr != nil || len(got) != len(want) {
			t.Errorf("plainStrings(%q) = %q; json.Unmarshal: %#v, %v", in, got, want, werr)
			continue
		}
		for i := range got {
			if want[i] != got[i] {
				t.Errorf("plainStrings(%q) = %q; json.Unmarshal: %#v", in, got, want)
			}
		}
	}
	if v, ok := scalar([]byte(`"abc"`)); !ok || v != "abc" {
		t.Errorf("a plain string is not read: %v %v", v, ok)
	}
	if v, ok := plainStrings([]byte(`["a", "b"]`)); !ok || len(v) != 2 {
		t.Errorf("a list of plain strings is not read: %v %v", v, ok)
	}
}
