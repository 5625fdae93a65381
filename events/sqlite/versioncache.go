package sqlite

import "github.com/infrahub-go/infrahub/events"

// versionCache holds the stream versions the writer's own commits left, so that a group whose
// streams were all written before skips the query of their versions (a seek per stream in the
// events' (stream, stream_version) index and a row per stream scanned into Go: some 5 % of the
// writer's time at 32 clients).
//
// It answers only while the log's last position is the one this writer's last commit left
// (head): every commit that changes a stream's version also appends events, so a write by
// anything else (another process, the one-request-per-savepoint path, a commit whose outcome is
// unknown) moves the last position away from head and empties the cache before it is used. The
// last position is read inside the group's write transaction, so nothing can commit between
// that check and the group's writes.
type versionCache struct {
	head     events.Position // the last position when versions held; -1: unknown
	versions map[events.StreamID]int64
}

// maxCachedStreams bounds the cache; it starts over empty beyond.
const maxCachedStreams = 1 << 16

// check empties the cache unless the log still ends where the writer's last commit left it.
func (c *versionCache) check(last events.Position) {
	if c.versions == nil {
		c.versions = map[events.StreamID]int64{}
		c.head = -1
	}
	if last != c.head {
		clear(c.versions)
		c.head = last
	}
}

// lookup returns the version of stream if the cache holds it.
func (c *versionCache) lookup(stream events.StreamID) (int64, bool) {
	v, ok := c.versions[stream]
	return v, ok
}

// committed records the versions of a group's streams once its commit succeeded, and the
// position it ends the log at.
func (c *versionCache) committed(g *group, last events.Position) {
	if len(c.versions)+len(g.dirty) > maxCachedStreams {
		clear(c.versions)
	}
	for _, st := range g.dirty {
		c.versions[st] = g.versions[st]
	}
	c.head = last
}

// forget empties the cache, for a commit whose outcome is not known.
func (c *versionCache) forget() {
	clear(c.versions)
	c.head = -1
}
