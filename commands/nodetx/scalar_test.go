package nodetx

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/infrahub-go/infrahub/schema"
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

// plainRefs reads what parseRefs reads from the decoded value, or leaves it to parseRefs.
func TestPlainRefsIsParseRefs(t *testing.T) {
	one, many := &schema.Relationship{Cardinality: "one"}, &schema.Relationship{Cardinality: "many"}
	inputs := []string{`"a"`, ` "0190a3c4-0000-7000-8000-000000000001" `, `["a","b"]`, `[]`, `[ "a" , "b" ]`, `null`,
		`"a\"b"`, `["a",1]`, `[["a"]]`, `{"id":"a"}`, `[{"id":"a"}]`, `1`, `"é"`, `[""]`, `""`}
	for _, in := range inputs {
		for _, r := range []*schema.Relationship{one, many} {
			got, ok := plainRefs(r, []byte(in))
			if !ok {
				continue
			}
			v, err := decodeValue([]byte(in))
			if err != nil {
				t.Fatalf("%s: %v", in, err)
			}
			want, err := parseRefs(r, v)
			if err != nil || !reflect.DeepEqual(got, want) {
				t.Errorf("plainRefs(%s, %s) = %+v; parseRefs: %+v, %v", r.Cardinality, in, got, want, err)
			}
		}
	}
	if _, ok := plainRefs(many, []byte(`["a","b"]`)); !ok {
		t.Fatal("a list of names is left to parseRefs")
	}
}
