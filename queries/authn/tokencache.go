package authn

import (
	"sync"
	"time"
)

// TokenCache keeps the API tokens verified recently, by digest (never the token itself), with the
// account each acts for, so that a request whose token was verified costs a map read instead of
// three graph reads. A verification is kept only until the graph folds a change to a node it read
// (the token, its account) or a change it cannot attribute (Folded): a deleted token, a token
// moved to another account or a deactivated account is refused as soon as the graph shows it, as
// without the cache. Expiry is checked at each use. Only successful verifications are kept, at
// most max of them (a full cache starts afresh).
//
// The cache is only correct when whatever folds the graph that authentication reads calls Folded
// after each batch.
type TokenCache struct {
	max int

	mu      sync.RWMutex
	folds   uint64              // batches folded so far
	entries map[string]verified // by token digest
	watched map[string]struct{} // the ids of the nodes the entries were read from
}

// verified is a token verification: the account it acts for and when it expires (zero: never).
type verified struct {
	acct    account
	expires time.Time
}

// NewTokenCache is a cache of at most max verifications (max ≤ 0: 1024).
func NewTokenCache(max int) *TokenCache {
	if max <= 0 {
		max = 1024
	}
	return &TokenCache{max: max, entries: map[string]verified{}, watched: map[string]struct{}{}}
}

// begin answers the fold count a verification starts reading the graph at (0 without a cache).
func (c *TokenCache) begin() uint64 {
	if c == nil {
		return 0
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.folds
}

// lookup answers the verification of digest, if one is kept.
func (c *TokenCache) lookup(digest string) (verified, bool) {
	return c.lookupBytes([]byte(digest))
}

// lookupBytes is lookup of a digest held in bytes (the map is read without a copy of them).
func (c *TokenCache) lookupBytes(digest []byte) (verified, bool) {
	if c == nil {
		return verified{}, false
	}
	c.mu.RLock()
	v, ok := c.entries[string(digest)]
	c.mu.RUnlock()
	return v, ok
}

// keep stores v under digest, read from the nodes ids, unless the graph folded a batch since the
// verification began (from): what it read may be stale already. Checking the count and
// registering ids under the lock Folded takes is what makes a later fold see them. Nothing is
// kept before the first Folded: without folds reported, nothing would ever drop it.
func (c *TokenCache) keep(from uint64, digest string, v verified, ids ...string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.folds != from || c.folds == 0 {
		return
	}
	if len(c.entries) >= c.max {
		c.reset()
	}
	c.entries[digest] = v
	for _, id := range ids {
		c.watched[id] = struct{}{}
	}
}

// Folded is told, after the graph folded a batch (whether or not it succeeded), the ids of the
// nodes the batch changed (each node event's node and the ends of its edges); all says it may
// have changed others (events that are not node events, a token created, a failed or undecoded
// fold, a reset). The verifications that read a changed node are dropped (all of them, simply).
func (c *TokenCache) Folded(all bool, changed []string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.folds++
	if len(c.entries) == 0 {
		return
	}
	if all {
		c.reset()
		return
	}
	for _, id := range changed {
		if _, ok := c.watched[id]; ok {
			c.reset()
			return
		}
	}
}

// reset drops every verification. c.mu is held.
func (c *TokenCache) reset() {
	clear(c.entries)
	clear(c.watched)
}
