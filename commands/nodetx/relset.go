package nodetx

import (
	"slices"
	"strings"
)

// relSet is the relationships a command gives, each by its name (relInput.name), in name order:
// a short list, where a map would cost a node's creation more than its relationships do.
// A nil *relSet holds none; only set and del need one.
type relSet struct{ list []relInput }

// newRelSet is an empty relSet with room for n relationships: made with the set when they are
// few (one allocation for both).
func newRelSet(n int) *relSet {
	if n <= relSetRoom {
		s := &roomyRelSet{}
		s.list = s.room[:0]
		return &s.relSet
	}
	return &relSet{list: make([]relInput, 0, n)}
}

// relSetRoom is how many relationships a relSet holds in the allocation that makes it.
const relSetRoom = 2

// roomyRelSet is a relSet and the room of its first relationships.
type roomyRelSet struct {
	relSet
	room [relSetRoom]relInput
}

// relsOf is a relSet of the given relationships (their names set).
func relsOf(ins ...relInput) *relSet {
	s := newRelSet(len(ins))
	for _, in := range ins {
		s.set(in)
	}
	return s
}

// all is the relationships in name order.
func (s *relSet) all() []relInput {
	if s == nil {
		return nil
	}
	return s.list
}

func (s *relSet) find(name string) (int, bool) {
	if s == nil {
		return 0, false
	}
	return slices.BinarySearchFunc(s.list, name, func(in relInput, name string) int { return strings.Compare(in.name, name) })
}

// get is the relationship of that name.
func (s *relSet) get(name string) (relInput, bool) {
	i, ok := s.find(name)
	if !ok {
		return relInput{}, false
	}
	return s.list[i], true
}

// has reports whether the set gives relationship name.
func (s *relSet) has(name string) bool {
	_, ok := s.find(name)
	return ok
}

// set adds in, or replaces the relationship of its name.
func (s *relSet) set(in relInput) {
	i, ok := s.find(in.name)
	if ok {
		s.list[i] = in
		return
	}
	s.list = slices.Insert(s.list, i, in)
}

// del removes the relationship of that name.
func (s *relSet) del(name string) {
	if i, ok := s.find(name); ok {
		s.list = slices.Delete(s.list, i, i+1)
	}
}

// clone is a copy of s that changes independently (the peers are shared: they are replaced,
// not changed in place).
func (s *relSet) clone() *relSet {
	if s == nil {
		return &relSet{}
	}
	return &relSet{list: slices.Clone(s.list)}
}

// some reports whether f holds for a relationship of s.
func (s *relSet) some(f func(relInput) bool) bool {
	return slices.ContainsFunc(s.all(), f)
}
