package graphql

import (
	"hash/maphash"
	"sync/atomic"
)

// An answer is written into one buffer that grows by doubling: a list of a thousand nodes
// (hundreds of kilobytes) copies itself about twice on the way. answerSizes remembers the size
// of the last answer to a document, by a hash of its text in a small table (a collision only
// costs a buffer of the wrong size), and the next answer to it starts with a buffer of about
// that size.
var (
	answerSizes [256]atomic.Int64
	answerSeed  = maphash.MakeSeed()
)

// maxAnswerHint bounds the buffer made ahead (a larger answer grows past it as before).
const maxAnswerHint = 8 << 20

// answerHint is the slot of the table for a document's text.
func answerHint(query string) *atomic.Int64 {
	return &answerSizes[maphash.String(answerSeed, query)&(uint64(len(answerSizes))-1)]
}

// sizedBuffer is an empty buffer for the next answer to a document whose last answer took n
// bytes (0: none yet).
func sizedBuffer(n int64) []byte {
	if n <= 0 {
		return nil
	}
	return make([]byte, 0, min(n+n/16+64, maxAnswerHint))
}
