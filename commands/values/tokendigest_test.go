package values

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
)

// The digest of a token is its SHA-256 whatever its length (hashed from the stack or not), a
// digest given again is kept, and appending one to a buffer large enough allocates nothing.
func TestTokenDigest(t *testing.T) {
	for _, tok := range []string{"", "06438eb2-8019-4776-878c-0941b1f1d1ec", strings.Repeat("x", 128), strings.Repeat("y", 129), strings.Repeat("z", 5000)} {
		sum := sha256.Sum256([]byte(tok))
		want := "sha256:" + hex.EncodeToString(sum[:])
		if got := TokenDigest(tok); got != want {
			t.Errorf("TokenDigest(%d bytes) = %s, want %s", len(tok), got, want)
		}
		if got := string(AppendTokenDigest([]byte("pre"), tok)); got != "pre"+want {
			t.Errorf("AppendTokenDigest(%d bytes) = %s", len(tok), got)
		}
		if got := TokenDigest(want); got != want {
			t.Errorf("a digest given again became %s", got)
		}
	}
	var buf [96]byte
	if n := testing.AllocsPerRun(100, func() { _ = AppendTokenDigest(buf[:0], "06438eb2-8019-4776-878c-0941b1f1d1ec") }); n != 0 {
		t.Fatalf("AppendTokenDigest allocates %v times", n)
	}
}
