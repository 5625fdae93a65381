package value

import (
	"fmt"
	"testing"
)

// A dict keeps no index map up to smallDict keys and one beyond; lookups, Python's key
// equivalences (1, 1.0 and True are one key), deletes that cross the threshold, copies and
// equality behave the same on both sides of it.
func TestDictIndexAcrossTheThreshold(t *testing.T) {
	d := NewDict()
	for i := range 20 {
		if err := d.Set(int64(i), fmt.Sprint("v", i)); err != nil {
			t.Fatal(err)
		}
		d.SetStr(fmt.Sprint("k", i), int64(i))
		if (d.Len() > smallDict) != (d.index != nil) {
			t.Fatalf("%d keys, index %v", d.Len(), d.index != nil)
		}
	}
	if v, ok, _ := d.Get(1.0); !ok || v != "v1" {
		t.Fatalf("1.0 finds %v %v", v, ok)
	}
	if v, ok, _ := d.Get(true); !ok || v != "v1" {
		t.Fatalf("True finds %v %v", v, ok)
	}
	if v, ok := d.GetStr("k17"); !ok || v != int64(17) {
		t.Fatalf("k17 finds %v %v", v, ok)
	}
	c := d.Copy()
	for i := range 20 {
		if _, ok, _ := d.Delete(int64(i)); !ok {
			t.Fatalf("delete %d", i)
		}
	}
	for i := range 16 {
		_, _, _ = d.Delete(fmt.Sprint("k", i))
	}
	if d.Len() != 4 || d.index != nil {
		t.Fatalf("after deletes: %d keys, index %v", d.Len(), d.index != nil)
	}
	for i := 16; i < 20; i++ {
		if v, ok := d.GetStr(fmt.Sprint("k", i)); !ok || v != int64(i) {
			t.Fatalf("k%d after deletes: %v %v", i, v, ok)
		}
	}
	if c.Len() != 40 {
		t.Fatalf("the copy changed: %d keys", c.Len())
	}
	small, big := NewDict(), NewDict()
	for i := range 12 {
		big.SetStr(fmt.Sprint("k", i), int64(i))
	}
	for i := 11; i >= 0; i-- {
		small.SetStr(fmt.Sprint("k", i), int64(i))
	}
	if eq, err := Equal(small, big); err != nil || !eq {
		t.Fatalf("equal dicts of 12 keys in other orders: %v %v", eq, err)
	}
}
