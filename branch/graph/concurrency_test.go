package graph

import (
	"sync"
	"testing"
)

// One writer and several readers at once (run with -race).
func TestConcurrentReadsAndWrites(t *testing.T) {
	s := NewState()
	apply(t, s, Main, 1, create(0, kDevice), set(0, fName, 0))
	if err := s.CreateBranch("b", 1); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		for p := int64(2); p < 300; p++ {
			branch := Main
			if p%2 == 0 {
				branch = "b"
			}
			if err := s.Apply(branch, p, at(p), create(int(p), kDevice), set(0, fName, p)); err != nil {
				t.Error(err)
				return
			}
		}
	})
	for range 4 {
		wg.Go(func() {
			for range 300 {
				p := s.Position()
				if _, ok, err := s.Get("b", Slot{id(0), fName}, p); err != nil || !ok {
					t.Errorf("get: %v %v", ok, err)
					return
				}
				if _, err := s.Nodes(Main, kDevice, p); err != nil {
					t.Error(err)
					return
				}
				if _, err := s.Diff("b"); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	n, _ := s.Count(Main, kDevice, s.Position())
	nb, _ := s.Count("b", kDevice, s.Position())
	if n != 150 || nb != 150 { // main: 0 and the odd positions 3..299; b: 0 and the even 2..298
		t.Errorf("counts main %d, b %d", n, nb)
	}
}
