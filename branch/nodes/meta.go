package nodes

import (
	"strings"
	"time"

	"github.com/infrahub-go/infrahub/branch/graph"
)

// The stored form of the metadata slots (m:created, m:updated) and of the HFID (m:hfid) is
// compact: a graph.Stamp (Unix nanoseconds and an interned actor) instead of the formatted
// "<RFC3339Nano>\x00<actor>" string, and a one-part HFID as its string instead of a list. Both
// are translated back where they leave the Store (the View, the stored form of a merge), so
// nothing outside sees the difference; the formatted string and the list are still read (a
// merge written before, a time a Stamp cannot hold).

// minStamp and maxStamp bound the times a Stamp holds (those UnixNano represents).
var (
	minStamp = time.Unix(0, -1<<63).Add(time.Second)
	maxStamp = time.Unix(0, 1<<63-1).Add(-time.Second)
)

// stampZero is the At of the zero time.
const stampZero = -1 << 63

// stamp is the stored form of when and by whom a node was written.
func (s *Store) stamp(at time.Time, actor string) any {
	if !at.IsZero() && (at.Before(minStamp) || at.After(maxStamp)) {
		return at.UTC().Format(time.RFC3339Nano) + "\x00" + actor
	}
	by, ok := s.actors[actor]
	if !ok {
		if s.actors == nil {
			s.actors = map[string]string{}
		}
		by = strings.Clone(actor)
		s.actors[by] = by
	}
	st := graph.Stamp{At: stampZero, By: by}
	if !at.IsZero() {
		st.At = at.UnixNano()
	}
	return st
}

// stampOf reads a stored m:created or m:updated.
func stampOf(data any) Stamp {
	switch x := data.(type) {
	case graph.Stamp:
		st := Stamp{By: x.By}
		if x.At != stampZero {
			st.At = time.Unix(0, x.At).UTC()
		}
		return st
	case string:
		at, by, _ := strings.Cut(x, "\x00")
		var st Stamp
		st.At, _ = time.Parse(time.RFC3339Nano, at)
		st.By = by
		return st
	}
	return Stamp{}
}

// isMetaField reports a slot holding a stamp.
func isMetaField(field string) bool { return field == FieldCreated || field == FieldUpdated }

// exported is the form of a stored value in a merge's stored changes: as it was written before
// the stored form became compact.
func exported(field string, data any) any {
	switch x := data.(type) {
	case graph.Stamp:
		if isMetaField(field) {
			st := stampOf(x)
			return st.At.Format(time.RFC3339Nano) + "\x00" + st.By
		}
	case string:
		if field == FieldHFID {
			return []any{x}
		}
	}
	return data
}

// imported is the stored form of a value of a merge's stored changes (exported's inverse).
func (s *Store) imported(field string, data any) any {
	switch x := data.(type) {
	case string:
		if isMetaField(field) {
			at, by, ok := strings.Cut(x, "\x00")
			t, err := time.Parse(time.RFC3339Nano, at)
			if ok && err == nil && t.Format(time.RFC3339Nano) == at {
				return s.stamp(t, by)
			}
		}
	case []any:
		if field == FieldHFID && len(x) == 1 {
			if h, ok := x[0].(string); ok {
				return h
			}
		}
	}
	return data
}

// hfidData is the stored form of an HFID: its one part, or the list of its parts.
func hfidData(h []string) any {
	if len(h) == 1 {
		return h[0]
	}
	out := make([]any, len(h))
	for i, x := range h {
		out[i] = x
	}
	return out
}

// hfidOf reads a stored HFID (nil when empty).
func hfidOf(data any) []string {
	if h, ok := data.(string); ok {
		return []string{h}
	}
	list, _ := data.([]any)
	out := make([]string, 0, len(list))
	for _, x := range list {
		s, _ := x.(string)
		out = append(out, s)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// labelData and hfidShared are the stored forms of a display label and an HFID that reuse an
// attribute's value when it holds the same string (the usual case: both are computed from the
// name), so that the node's slots share one boxed string instead of holding three copies.
func labelData(label string, attrs map[string]Attr) any {
	for _, a := range attrs {
		if s, ok := a.Value.(string); ok && s == label {
			return a.Value
		}
	}
	return label
}

func hfidShared(h []string, label any, attrs map[string]Attr) any {
	if len(h) != 1 {
		// Each part shares the label's or an attribute's boxed string when equal.
		out := make([]any, len(h))
		for i, x := range h {
			out[i] = sharedPart(x, label, attrs)
		}
		return out
	}
	return sharedPart(h[0], label, attrs)
}

// sharedPart is x stored: the label's boxed string or an attribute's when equal.
func sharedPart(x string, label any, attrs map[string]Attr) any {
	if s, ok := label.(string); ok && s == x {
		return label
	}
	return labelData(x, attrs)
}

// shared is v, or the equal string the last write of field stored: many nodes hold the same
// value in a field (a status, a description), and one boxed copy then serves them all.
func (s *Store) shared(field graph.FieldID, v any) any {
	str, ok := v.(string)
	if !ok || len(str) > 64 {
		return v
	}
	if int(field) >= len(s.lastValues) {
		s.lastValues = append(s.lastValues, make([]any, int(field)+1-len(s.lastValues))...)
	}
	if last, ok := s.lastValues[field].(string); ok && last == str {
		return s.lastValues[field]
	}
	s.lastValues[field] = v
	return v
}
