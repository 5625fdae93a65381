package nodes

import (
	"encoding/json"
	"math/rand/v2"
	"testing"
)

// appendEscaped quotes every string as encoding/json does: each byte alone, the runes it
// treats apart, and random byte strings.
func TestAppendEscapedIsEncodingJSON(t *testing.T) {
	var cases []string
	for c := range 256 {
		cases = append(cases, string([]byte{byte(c)}), "a"+string([]byte{byte(c)})+"z")
	}
	cases = append(cases, "", "\u2028", "x\u2029y", "日本\x00語", "\xe2\x82", "\xe2\x82\xac", "\xed\xa0\x80", "\xf4\x90\x80\x80", "🚀<&>")
	r := rand.New(rand.NewPCG(3, 4))
	alphabet := []byte("ab\x00\x1f\"\\<>&\t\n\b\f\r\x7f\xc3\xa9\xe2\x80\xa8\xa9\xff\xf0\x9f\x9a\x80")
	for range 5000 {
		b := make([]byte, r.IntN(12))
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		cases = append(cases, string(b))
	}
	for _, s := range cases {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendEscaped([]byte("x"), s); string(got) != "x"+string(want) {
			t.Fatalf("%q: %s, want %s", s, got[1:], want)
		}
		if got := appendString(nil, s); string(got) != string(want) {
			t.Fatalf("appendString %q: %s, want %s", s, got, want)
		}
	}
}
