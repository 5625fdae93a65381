package task

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
)

// DerivedID is a stable id made of parts: the id of a task derived from what triggered it (an
// event and a webhook, a change and a definition), so that the same trigger seen twice, or by
// two servers, submits one task. It is the first 16 bytes of the SHA-256 of the parts (each
// prefixed by its length, so that ("a", "bc") and ("ab", "c") differ), in the textual form of a
// UUID.
func DerivedID(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(strconv.Itoa(len(p))))
		h.Write([]byte{':'})
		h.Write([]byte(p))
		h.Write([]byte{';'})
	}
	x := hex.EncodeToString(h.Sum(nil)[:16])
	return x[0:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:32]
}
