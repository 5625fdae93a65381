package graph

// uniqueLayer is main's uniqueness layer: per kind and constraint, a map from the value's key to
// the number of its head (the map's keys are the keys alone, so a lookup hashes one string),
// the heads in a vector and the older versions of values that changed.
type uniqueLayer struct {
	spaces map[uniqueSpace]map[string]uint32
	heads  chunked[version[NodeID]]
	hist   map[uint32][]version[NodeID]
	// the space last written (a bulk load claims values of one kind and constraint in turn;
	// under the State's write lock)
	last    uniqueSpace
	lastMap map[string]uint32
}

// uniqueSpace is one uniqueness constraint of one kind.
type uniqueSpace struct {
	kind       KindID
	constraint ConstraintID
}

func newUniqueLayer() uniqueLayer {
	return uniqueLayer{spaces: map[uniqueSpace]map[string]uint32{}, hist: map[uint32][]version[NodeID]{}}
}

func (l *uniqueLayer) find(k uniqueKey) (uint32, bool) {
	i, ok := l.spaces[uniqueSpace{k.kind, k.constraint}][k.key]
	return i, ok
}

// space is the map of k's space, made when missing (the write path).
func (l *uniqueLayer) space(k uniqueKey) map[string]uint32 {
	sp := uniqueSpace{k.kind, k.constraint}
	if l.lastMap != nil && l.last == sp {
		return l.lastMap
	}
	m := l.spaces[sp]
	if m == nil {
		m = map[string]uint32{}
		l.spaces[sp] = m
	}
	l.last, l.lastMap = sp, m
	return m
}

// set makes v the head; a second write at the same position replaces the first.
func (l *uniqueLayer) set(k uniqueKey, v version[NodeID]) {
	m := l.space(k)
	i, ok := m[k.key]
	if !ok {
		m[k.key] = l.heads.push(v)
		return
	}
	h := l.heads.at(i)
	if h.pos != v.pos {
		l.hist[i] = append(l.hist[i], *h)
	}
	*h = v
}

// insert gives key k head number i (a snapshot read); false when k is there already.
func (l *uniqueLayer) insert(k uniqueKey, i uint32) bool {
	m := l.space(k)
	if _, dup := m[k.key]; dup {
		return false
	}
	m[k.key] = i
	return true
}

// head is k's latest version.
func (l *uniqueLayer) head(k uniqueKey) (version[NodeID], bool) {
	i, ok := l.find(k)
	if !ok {
		return version[NodeID]{}, false
	}
	return *l.heads.at(i), true
}

// at is k's version at pos; the chain is walked only when pos is older than the head.
func (l *uniqueLayer) at(k uniqueKey, pos int64) (version[NodeID], bool) {
	i, ok := l.find(k)
	if !ok {
		return version[NodeID]{}, false
	}
	if h := l.heads.at(i); h.pos <= pos {
		return *h, true
	}
	return latest(l.hist[i], pos)
}

// keys lists the keys by head number.
func (l *uniqueLayer) keys() ([]uniqueKey, bool) {
	keys := make([]uniqueKey, l.heads.len())
	seen := 0
	for sp, m := range l.spaces {
		for key, i := range m {
			if int(i) >= len(keys) {
				return nil, false
			}
			keys[i] = uniqueKey{sp.kind, sp.constraint, key}
			seen++
		}
	}
	return keys, seen == len(keys)
}

func writeUnique(e *encoder, l *uniqueLayer) {
	keys, ok := l.keys()
	if !ok {
		e.fail("internal: the unique index does not map onto the %d heads", l.heads.len())
	}
	writeHeads(e, uniqueCodec, keys, &l.heads, l.hist)
}

func readUnique(d *decoder) uniqueLayer {
	n := d.count()
	l := newUniqueLayer()
	added := 0
	insert := func(k uniqueKey, i uint32) {
		if l.insert(k, i) {
			added++
		}
	}
	l.hist = readHeads(d, uniqueCodec, n, &l.heads, insert, func() int { return added })
	return l
}
