package schema

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
)

func hashJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		// the schema types always marshal; a failure is a programming error
		panic(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// computeHashes sets every model's hash and the set's hash.
func (b builder) computeHashes() {
	s := b.s
	h := sha256.New()
	for _, k := range s.Kinds() {
		var hash string
		if n, ok := s.Node(k); ok {
			n.Hash = ""
			n.Hash = hashJSON(n)[:32]
			hash = n.Hash
		} else if g, ok := s.generics[k]; ok {
			g.Hash = ""
			g.Hash = hashJSON(g)[:32]
			hash = g.Hash
		}
		h.Write([]byte(k + ":" + hash + "\n"))
	}
	s.hash = hex.EncodeToString(h.Sum(nil))
}

// Hash returns a stable hex digest of the resolved set.
func (s *Set) Hash() string { return s.hash }
