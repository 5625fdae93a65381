package activity

import (
	"slices"

	"github.com/google/uuid"

	"github.com/infrahub-go/infrahub/branch"
)

// matcher is a Query compiled against the Index's interned strings.
type matcher struct {
	q                         Query
	names                     []uint8
	prefixes                  []string
	ids, parents, nodes, rels map[uuid.UUID]bool
	since, until              int64
	kindOK                    map[uint32]bool // memo of the kind filters and permissions
}

// uuidSet parses ids; an id that is no UUID names no event nor node: it matches nothing.
func uuidSet(in []string) map[uuid.UUID]bool {
	out := make(map[uuid.UUID]bool, len(in))
	for _, s := range in {
		if u, err := uuid.Parse(s); err == nil {
			out[u] = true
		}
	}
	return out
}

func (ix *Index) compile(q Query) *matcher {
	m := &matcher{q: q, kindOK: map[uint32]bool{}}
	for _, n := range q.Names {
		if len(n) > 0 && n[len(n)-1] == '.' {
			m.prefixes = append(m.prefixes, n)
		} else if i := slices.Index(eventNames, n); i >= 0 {
			m.names = append(m.names, uint8(i))
		}
	}
	m.ids, m.parents, m.nodes, m.rels = uuidSet(q.IDs), uuidSet(q.ParentIDs), uuidSet(q.NodeIDs), uuidSet(q.RelatedIDs)
	if !q.Since.IsZero() {
		m.since = q.Since.UnixNano()
	}
	if !q.Until.IsZero() {
		m.until = q.Until.UnixNano()
	}
	return m
}

func (m *matcher) match(ix *Index, r *record) bool {
	q := &m.q
	if len(q.Names) > 0 && !slices.Contains(m.names, r.name) && !m.prefixed(r.name) {
		return false
	}
	if len(q.Branches) > 0 && !slices.Contains(q.Branches, ix.strs[r.branch]) {
		return false
	}
	if len(q.AccountIDs) > 0 && !slices.Contains(q.AccountIDs, ix.strs[r.account]) {
		return false
	}
	if (len(q.IDs) > 0 && !m.ids[r.id]) || (len(q.NodeIDs) > 0 && !m.nodes[r.node]) {
		return false
	}
	if len(q.ParentIDs) > 0 && (r.level == 0 || !m.parents[r.env]) {
		return false
	}
	if len(q.RelatedIDs) > 0 && !m.rels[r.node] && !slices.ContainsFunc(ix.related[r.relFrom:r.relTo], func(u uuid.UUID) bool { return m.rels[u] }) {
		return false
	}
	if (q.HasChildren != nil && *q.HasChildren != r.hasKids) || (q.Level != nil && *q.Level != int(r.level)) {
		return false
	}
	if (m.since != 0 && r.at < m.since) || (m.until != 0 && r.at > m.until) {
		return false
	}
	if len(q.Kinds) > 0 || q.AllowedKinds != nil {
		if r.node == (uuid.UUID{}) {
			return len(q.Kinds) == 0
		}
		ok, seen := m.kindOK[r.kind]
		if !seen {
			kind := ix.strs[r.kind]
			ok = (len(q.Kinds) == 0 || KindMatches(q.Kinds, kind, branch.Default, ix.cfg.SchemaOf)) &&
				(q.AllowedKinds == nil || q.AllowedKinds(kind))
			m.kindOK[r.kind] = ok
		}
		if !ok {
			return false
		}
	}
	return true
}

func (m *matcher) prefixed(name uint8) bool {
	if int(name) >= len(eventNames) {
		return false
	}
	for _, p := range m.prefixes {
		if len(eventNames[name]) > len(p) && eventNames[name][:len(p)] == p {
			return true
		}
	}
	return false
}
