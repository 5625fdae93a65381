package nodes

import (
	"reflect"
	"testing"
	"time"
	"unsafe"

	"github.com/infrahub-go/infrahub/branch/graph"
)

func TestStampRoundTrip(t *testing.T) {
	s := &Store{}
	for _, at := range []time.Time{
		{}, time.Date(2026, 12, 6, 11, 5, 18, 123456789, time.UTC), time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("x", 3600)),
		time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC), time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC),
	} {
		want := Stamp{At: at.UTC(), By: "admin"}
		if at.IsZero() {
			want.At = time.Time{}
		}
		stored := s.stamp(at, "admin")
		if got := stampOf(stored); !reflect.DeepEqual(got, want) {
			t.Errorf("%v: read back %#v, want %#v", at, got, want)
		}
		// a merge's stored form is the formatted string, read back to the same stored value
		old := at.UTC().Format(time.RFC3339Nano) + "\x00admin"
		if got := exported(FieldUpdated, stored); got != old {
			t.Errorf("%v: exported %q, want %q", at, got, old)
		}
		if got := s.imported(FieldCreated, old); !reflect.DeepEqual(got, stored) {
			t.Errorf("%v: imported %#v, want %#v", at, got, stored)
		}
	}
	if _, ok := s.stamp(time.Now(), "admin").(graph.Stamp); !ok {
		t.Error("a current time is not stored as a Stamp")
	}
}

func TestHFIDStoredForm(t *testing.T) {
	s := &Store{}
	for _, h := range [][]string{nil, {""}, {"a"}, {"a", "b"}} {
		stored := hfidData(h)
		if got := hfidOf(stored); !reflect.DeepEqual(got, h) {
			t.Errorf("%q: read back %q", h, got)
		}
		list := []any{}
		for _, x := range h {
			list = append(list, x)
		}
		if got := exported(FieldHFID, stored); len(h) > 0 && !reflect.DeepEqual(got, list) {
			t.Errorf("%q: exported %#v", h, got)
		}
		if got := s.imported(FieldHFID, list); !reflect.DeepEqual(got, stored) {
			t.Errorf("%q: imported %#v, want %#v", h, got, stored)
		}
	}
}

func TestSharedLabelAndHFID(t *testing.T) {
	attrs := map[string]Attr{"name": {Value: "d-1"}, "size": {Value: 3.0}}
	label := labelData("d-1", attrs)
	if label != "d-1" {
		t.Fatalf("label %#v", label)
	}
	for _, c := range []struct {
		h     []string
		label any
	}{{[]string{"d-1"}, label}, {[]string{"d-1"}, nil}, {[]string{"other"}, label}, {[]string{"d-1", "x"}, label}} {
		if got := hfidOf(hfidShared(c.h, c.label, attrs)); !reflect.DeepEqual(got, c.h) {
			t.Errorf("%q: read back %q", c.h, got)
		}
	}
	if got := labelData("none", attrs); got != "none" {
		t.Errorf("label without a matching attribute: %#v", got)
	}
}

func TestSharedValues(t *testing.T) {
	s := &Store{}
	first := any(string([]byte("active")))
	if got := s.shared(3, first); got != first {
		t.Fatalf("first write %#v", got)
	}
	again := any(string([]byte("active")))
	got := s.shared(3, again)
	if got != "active" || (*[2]unsafe.Pointer)(unsafe.Pointer(&got))[1] != (*[2]unsafe.Pointer)(unsafe.Pointer(&first))[1] {
		t.Error("an equal string does not reuse the stored box")
	}
	if got := s.shared(3, "other"); got != "other" {
		t.Errorf("another string: %#v", got)
	}
	if got := s.shared(1, 2.5); got != 2.5 {
		t.Errorf("a number: %#v", got)
	}
}
