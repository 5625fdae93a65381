package commands

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

var validSeeds = []string{
	`{"kind":"BenchDevice","data":{"name":"d-1","asn":64512,"enabled":true,"site":"x","tags":["a","b"],"o":{"value":"v","x":[1,{"y":"]}"}]}}}`,
	` { "a" : [ 1 , -2.5e+3 , 0.1 , 1E9 , true , false , null , "\u00e9\"\\\/\b\f\n\r\t" ] } `,
	`[]`, `{}`, `""`, `0`, `-0`, `[[[[[]]]]]`, `{"a":{"b":{"c":[{}]}}}`, "\"\xff\xfe\"",
	`01`, `1.`, `.5`, `-`, `1e`, `+1`, `tru`, `nul`, `{"a"}`, `{"a":}`, `[1,]`, `{,}`, `{"a":1,}`, `"\x"`, `"\u12g4"`,
	"\"a\x01\"", `"abc`, `[1 2]`, `{"a" 1}`, `{1:2}`, `[}`, `{]`, `1 2`, ``, ` `, `nulll`, `truefalse`,
}

// validJSON answers what json.Valid answers.
func TestValidJSONIsJSONValid(t *testing.T) {
	check := func(s string) {
		if got, want := validJSON([]byte(s)), json.Valid([]byte(s)); got != want {
			t.Errorf("validJSON(%q) = %v, json.Valid %v", s, got, want)
		}
	}
	for _, s := range validSeeds {
		check(s)
	}
	// Mutations of the seeds: a byte changed, removed or doubled; cuts.
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte("{}[]\",:\\ -+.0123456789eEtrufalsn\x01\xff")
	for range 50_000 {
		b := []byte(validSeeds[r.IntN(len(validSeeds))])
		for range 1 + r.IntN(3) {
			if len(b) == 0 {
				break
			}
			i := r.IntN(len(b))
			switch r.IntN(4) {
			case 0:
				b[i] = alphabet[r.IntN(len(alphabet))]
			case 1:
				b = append(b[:i:i], b[i+1:]...)
			case 2:
				b = append(b[:i+1:i+1], b[i:]...)
			case 3:
				b = b[:i]
			}
		}
		check(string(b))
	}
}

// Nesting deeper than validJSON follows is refused (read then by the path that reads any JSON).
func TestValidJSONDeep(t *testing.T) {
	deep := strings.Repeat("[", maxValidDepth+1) + strings.Repeat("]", maxValidDepth+1)
	if validJSON([]byte(deep)) {
		t.Fatal("validJSON follows nesting deeper than maxValidDepth")
	}
	ok := strings.Repeat("[", maxValidDepth) + strings.Repeat("]", maxValidDepth)
	if !validJSON([]byte(ok)) {
		t.Fatal("validJSON refuses nesting of maxValidDepth")
	}
}

func FuzzValidJSON(f *testing.F) {
	for _, s := range validSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, want := validJSON([]byte(s)), json.Valid([]byte(s))
		shallow := strings.Count(s, "[")+strings.Count(s, "{") <= maxValidDepth
		if got && !want || got != want && shallow {
			t.Fatalf("validJSON(%q) = %v, json.Valid %v", s, got, want)
		}
	})
}

// BenchmarkDecodeBatch reads a batch of 1,000 node.create operations (BenchmarkBulkLoad's).
func BenchmarkDecodeBatch(b *testing.B) {
	ops := make([]any, 0, 1000)
	for i := range 1000 {
		ops = append(ops, map[string]any{"type": "node.create", "payload": map[string]any{"kind": "BenchDevice", "data": map[string]any{
			"name": fmt.Sprintf("d-%d", i), "description": "a benchmark device", "serial": fmt.Sprintf("SN%08d", i),
			"asn": 64512 + i, "enabled": i%2 == 0, "site": "0190a3c4-0000-7000-8000-000000000001",
			"tags": []any{"0190a3c4-0000-7000-8000-000000000002"}}}})
	}
	raw, _ := json.Marshal(map[string]any{"operations": ops})
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		in, ok := decodeBatch(raw)
		if !ok || len(in.Operations) != 1000 {
			b.Fatal("not read")
		}
		names := strCache{}
		for _, op := range in.Operations {
			if _, ok := decodeCreate(op.Payload, names); !ok {
				b.Fatal("not read")
			}
		}
	}
}
