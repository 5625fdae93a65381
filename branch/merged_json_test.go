package branch

import (
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"testing"
)

// decodeBoth decodes raw as a Merged with DecodePayload and with encoding/json, and fails t
// when they differ.
func decodeBoth(t *testing.T, raw []byte) {
	t.Helper()
	var got Merged
	errGot := got.DecodePayload(raw)
	var want Merged
	errWant := json.Unmarshal(raw, &want)
	if (errGot != nil) != (errWant != nil) {
		t.Fatalf("%s: error %v, encoding/json %v", raw, errGot, errWant)
	}
	if errGot == nil && !reflect.DeepEqual(got, want) {
		t.Fatalf("%s:\n got  %#v\n want %#v", raw, got, want)
	}
}

// A merged payload decodes as encoding/json decodes it: payloads as encoding/json writes them
// (random changes) and payloads written otherwise (spaces, escapes, other keys, duplicates,
// nulls, invalid input).
func TestMergedDecodesAsEncodingJSON(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	strs := []string{"", "a", "dev-0001", "a\x00b", "2026-01-01T00:00:00Z\x00admin", "<&>", "quote\"back\\slash",
		"tab\tnl\n", "é ü 漢字", "\U0001F600", "\xff\xfe bad", "\u2028\u2029", "/slash"}
	val := func() any {
		switch rng.IntN(9) {
		case 0:
			return nil
		case 1:
			return rng.IntN(2) == 0
		case 2:
			return rng.Float64() * 1e6
		case 3:
			return []float64{0, -1, 1e21, 1e-7, 123456789012345678, 0.1}[rng.IntN(6)]
		case 4:
			return []any{strs[rng.IntN(len(strs))], 1.5}
		case 5:
			return map[string]any{"k": strs[rng.IntN(len(strs))], "n": []any{nil, true}}
		case 6:
			return rng.IntN(1000)
		default:
			return strs[rng.IntN(len(strs))]
		}
	}
	str := func() string { return strs[rng.IntN(len(strs))] }
	for range 300 {
		m := Merged{Name: str()}
		for range rng.IntN(6) {
			m.Changes = append(m.Changes, Change{Op: str(), Node: str(), Kind: str(), Field: str(), Value: val(), Source: str(),
				Owner: str(), IsProtected: rng.IntN(2) == 0, IsDefault: rng.IntN(2) == 0, Peer: str(), Constraint: str(), Key: str()})
		}
		if rng.IntN(5) == 0 {
			m.Changes = []Change{}
		}
		raw, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		decodeBoth(t, raw)
		if err := (&plainReader{b: raw}).merged(&Merged{}); err != nil {
			t.Fatalf("%s: encoding/json's form not read directly: %v", raw, err)
		}
	}
	for _, raw := range []string{
		`{"name":"b","changes":[]}`,
		`{"name":"b"}`,
		`{"changes":[{"op":"set"}]}`,
		` { "name" : "b" , "changes" : [ { "op" : "set" , "value" : -0.5e+3 } , {"value":[1,{"a":"]"}]} ] } `,
		`{"name":"b","changes":null}`,
		`{"name":null,"changes":[]}`,
		`{"Name":"b","changes":[]}`,
		`{"name":"b","changes":[{"OP":"set","Value":1}]}`,
		`{"name":"a","name":"b","changes":[]}`,
		`{"name":"b","changes":[{"op":"set","node":"n"}],"changes":[{"op":"clear"}]}`,
		`{"name":"b","changes":[{"op":"set","value":{"x":1},"value":2}]}`,
		`{"name":"b","changes":[{"op":"set","node":null}]}`,
		`{"name":"b","changes":[{"op":"set","extra":1}]}`,
		`{"name":"b","changes":[{"value":"\ud83d\ude00 \ud83d x \ude00 \u00e9\u0000"}]}`,
		`{"name":"b\/c\b\f\n\r\t\"\\","changes":[]}`,
		`{"name":"b","changes":[{"value":1e400}]}`,
		`{"name":"b","changes":[{"value":01}]}`,
		`{"name":"b","changes":[{"is_protected":"true"}]}`,
		`{"name":"b","changes":[{"is_default":null}]}`,
		`{"name":"b","changes":[}`,
		`{"name":"b","changes":[]} x`,
		`[]`,
		`{"n\u0061me":"b","changes":[]}`,
		`{"name":"b","changes":[{"value":[1,}]}`,
		`{"name":"b","changes":[{"value":[1}]}`,
		`{"name":"b","changes":[{"value":tru}]}`,
		`{"name":"b","changes":[{"value":truex}]}`,
		`{"name":"b" "changes":[]}`,
		`{"name":"b",}`,
		`{,}`,
		`{"name":"b","changes":[{"op":"a",}]}`,
		`{"name":"b","changes":[{},]}`,
		`{"name":"b","changes":[{"value":-}]}`,
		`{"name":"b","changes":[{"value":1.}]}`,
		`{"name":"b","changes":[{"value":1e}]}`,
		`{"name":"b","changes":[{"value":"\x"}]}`,
		`{"name":"b","changes":[{"value":"\u12"}]}`,
		`{"name":"b","changes":[{"value":"abc}]}`,
		`{"name":"b","changes":[{"value":"a` + "\n" + `b"}]}`,
		`{"name":"b","changes":[{"value":{"a":[1,2,{"b":null}],"c":"\"]}"}}]}`,
		`{"name":"b","changes":[{"value":{"a" 1}}]}`,
		`{"other":1,"name":"b","changes":[]}`,
		``,
		`{`,
		"{\"name\":\"b\xff\xc3(\",\"changes\":[{\"value\":\"\xe2\x82\"}]}",
	} {
		decodeBoth(t, []byte(raw))
	}
}
