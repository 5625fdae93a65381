package commands

import (
	"encoding/json"
	"testing"
)

// authorize reads a payload's branch and kind as json.Unmarshal would: the fast path must agree
// with it on every payload, including those it leaves to encoding/json, or a check would be
// made against another kind or branch than the one encoding/json names.
var scopeCases = []string{
	`{"kind":"BenchInterface","data":{"name":"x","device":{"id":"d"}}}`,
	`{"branch":"b1","kind":"K"}`,
	` { "Kind" : "K" , "BRANCH":"main" } `,
	`{"kind":"A","kind":"B"}`,
	`{"kind":"A","KIND":"B"}`,
	`{"kind":"A","kind":null}`,
	`{"kind":"A","kind":7}`,
	`{"kind":7,"branch":"b"}`,
	`{"kind":{"x":1},"branch":"b"}`,
	`{"name":5,"kind":"K"}`,
	`{"kind":"a\"b"}`,
	`{"kind":"\u004b"}`,
	`{"k\u0069nd":"K"}`,
	"{\"\u212aind\":\"K\"}", // the Kelvin sign folds to k for encoding/json
	"{\"ſ\":1,\"kind\":\"K\"}",
	"{\"kind\":\"\xff\"}",
	`{"kind":"K"`,
	`{"kind":"K"} {}`,
	`{"kind":"K",}`,
	`[{"kind":"K"}]`,
	`"kind"`,
	`null`,
	``,
	`{}`,
	`{"data":{"kind":"inner"},"kind":"outer"}`,
	`{"kinds":"K","kin":"K"}`,
}

func TestScopeOfMatchesEncodingJSON(t *testing.T) {
	for _, c := range scopeCases {
		var want scope
		_ = json.Unmarshal([]byte(c), &want)
		if got := scopeOf([]byte(c)); got != want {
			t.Errorf("scopeOf(%q) = %+v, encoding/json reads %+v", c, got, want)
		}
	}
	if got := scopeOf([]byte(`{"branch":"b1","kind":"K"}`)); got != (scope{Branch: "b1", Kind: "K"}) {
		t.Fatalf("scopeOf = %+v", got)
	}
}

func FuzzScopeOf(f *testing.F) {
	for _, c := range scopeCases {
		f.Add(c)
	}
	f.Fuzz(func(t *testing.T, c string) {
		var want scope
		_ = json.Unmarshal([]byte(c), &want)
		if got := scopeOf([]byte(c)); got != want {
			t.Errorf("scopeOf(%q) = %+v, encoding/json reads %+v", c, got, want)
		}
	})
}

// A node command's check allocates no more than the kind it reads.
func TestScopeOfAllocations(t *testing.T) {
	payload := []byte(`{"kind":"BenchInterface","data":{"name":"x","mtu":9000,"enabled":true,"device":{"id":"d"}}}`)
	if n := testing.AllocsPerRun(100, func() { _ = scopeOf(payload) }); n > 1 {
		t.Fatalf("scopeOf allocates %v times, want at most 1", n)
	}
}
