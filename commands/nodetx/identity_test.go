package nodetx

import (
	"encoding/json"
	"testing"

	"github.com/infrahub-go/infrahub/branch/nodes"
)

// The key of a constraint of several values is what json.Marshal gives for them, also when
// they are plain strings written without it.
func TestCanonKeyIsMarshal(t *testing.T) {
	lists := [][]any{{}, {"a"}, {"a", "b"}, {"", ""}, {"0b7e5c52-5b7e-7a8f-9c3e-0a1b2c3d4e5f", "eth0"}, {"a b~{}[]:,"},
		{"a\"b"}, {`a\b`}, {"<tag>"}, {"a&b"}, {"tab\there"}, {"é"}, {"日本"}, {"\u2028"}, {"bad \xff"}, {"\x7f"},
		{"a", 1.0}, {1.5, 2.0}, {true, nil}, {[]any{"a"}}, {map[string]any{"k": "v"}}, nil}
	for _, l := range lists {
		raw, err := json.Marshal(l)
		if err != nil {
			t.Fatal(err)
		}
		if got := canonKey(l); got != string(raw) {
			t.Errorf("canonKey(%#v) = %s, json.Marshal: %s", l, got, raw)
		}
	}
	if _, ok := plainList([]any{"a", "b"}); !ok {
		t.Error("a list of plain strings is not written without json.Marshal")
	}
}

// keyList writes the HFID key of a one-part human-friendly id as the part itself: what
// nodes.HFIDKey makes of it.
func TestHFIDKeyOfOnePart(t *testing.T) {
	for _, s := range []string{"", "a", "eth0", "a\x00b", "日本"} {
		if got := nodes.HFIDKey([]string{s}); got != s {
			t.Errorf("nodes.HFIDKey([%q]) = %q, keyList writes %q", s, got, s)
		}
	}
}
