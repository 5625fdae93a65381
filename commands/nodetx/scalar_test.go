package nodetx

import (
	"bytes"
	"encoding/json"
	"errors"
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
		`"a\"b"`, `["a",1]`, `[["a"]]`, `{"id":"a"}`, `[{"id":"a"}]`, `1`, `"é"`, `[""]`, `""`,
		` { "id" : "a" } `, `{"id":""}`, `{"id":"a","kind":"K"}`, `{"ID":"a"}`, `{"id":1}`, `{"id":"a}b"}`, `{"id":"a\"b"}`,
		`{"hfid":["a"]}`, `{}`, `[{"id":"a"},"b", {"id" :"c"}]`, `[{"id":"a"},]`, `[{"id":"a"} {"id":"b"}]`, `[{"id":""}]`,
		`[{"id":"a","x":1}]`, `{"id":"a"}}`, `[{"id":"a"}}]`, "{\"id\":\"\xff\"}"}
	for _, in := range inputs {
		for _, r := range []*schema.Relationship{one, many} {
			got, ok := plainRefs(r, []byte(in), nil)
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
	if _, ok := plainRefs(many, []byte(`["a","b"]`), nil); !ok {
		t.Fatal("a list of names is left to parseRefs")
	}
	for _, in := range []string{`{"id":"a"}`, ` { "id" : "a" } `, `[{"id":"a"},"b"]`} {
		if _, ok := plainRefs(many, []byte(in), make([]Ref, 0, 1)); !ok {
			t.Errorf("%s is left to parseRefs", in)
		}
	}
	// parseRef reads an object of an id alone without decoding it into a Ref: as decoding does.
	for _, x := range []map[string]any{{"id": "a"}, {"id": ""}, {"id": 1.0}, {"id": "a", "kind": "K"}, {"ID": "a"}} {
		raw, _ := json.Marshal(x)
		var want Ref
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		werr := dec.Decode(&want)
		if werr == nil && want.ID == "" && len(want.HFID) == 0 && want.Ref == "" {
			werr = errors.New("none")
		}
		got, err := parseRef(x)
		if (err != nil) != (werr != nil) || err == nil && !reflect.DeepEqual(got, want) {
			t.Errorf("parseRef(%v) = %+v, %v; decoded: %+v, %v", x, got, err, want, werr)
		}
	}
}
