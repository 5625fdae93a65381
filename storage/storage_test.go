package storage_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"gocloud.dev/blob"
	"gocloud.dev/blob/fileblob"
	"gocloud.dev/blob/memblob"

	"github.com/infrahub-go/infrahub/fault"
	"github.com/infrahub-go/infrahub/limits"
	"github.com/infrahub-go/infrahub/storage"
)

func newStore(t *testing.T, b *blob.Bucket, max int64) *storage.Store {
	t.Helper()
	s, err := storage.New(storage.Config{Bucket: b, MaxBytes: max})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// The identifier is a version 8 UUID made of the first 128 bits of the content's SHA-256: the
// SHA-256 of "" is e3b0c44298fc1c149afbf4c8996fb924..., whose version nibble (1) becomes 8 and
// whose variant bits (9a: 10 already) stay.
func TestIDOf(t *testing.T) {
	if got := storage.IDOf(nil); got != "e3b0c442-98fc-8c14-9afb-f4c8996fb924" {
		t.Fatalf("IDOf(\"\") = %s", got)
	}
	// SHA-256("hello world") = b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9
	if got := storage.IDOf([]byte("hello world")); got != "b94d27b9-934d-8e08-a52e-52d7da7dabfa" {
		t.Fatalf("IDOf(hello world) = %s", got)
	}
	if storage.IDOf([]byte("a")) == storage.IDOf([]byte("b")) {
		t.Fatal("different contents, same id")
	}
}

// The checksum is the MD5 Infrahub answers (hashlib.md5(content).hexdigest()).
func TestChecksumOf(t *testing.T) {
	for content, want := range map[string]string{"": "d41d8cd98f00b204e9800998ecf8427e",
		"hello world": "5eb63bbbe01eeed093cb22bb8f5acdc3"} {
		if got := storage.ChecksumOf([]byte(content)); got != want {
			t.Errorf("ChecksumOf(%q) = %s, want %s", content, got, want)
		}
	}
}

func TestConfig(t *testing.T) {
	if _, err := storage.New(storage.Config{}); !errors.Is(err, fault.ErrInvalid) || !strings.Contains(err.Error(), "Bucket") {
		t.Fatalf("New without a bucket = %v", err)
	}
	b := memblob.OpenBucket(nil)
	defer b.Close()
	s := newStore(t, b, 0)
	if s.MaxBytes() != limits.Default().StorageObjectBytes || s.MaxBytes() != 50<<20 {
		t.Fatalf("default MaxBytes = %d", s.MaxBytes())
	}
}

// roundTrip stores, finds and reads back objects, and checks the errors of a missing object.
func roundTrip(t *testing.T, s *storage.Store) {
	t.Helper()
	ctx := context.Background()
	content := []byte("hostname router1\ninterface Ethernet1\n")
	obj, err := s.Put(ctx, content)
	if err != nil {
		t.Fatal(err)
	}
	if obj.ID != storage.IDOf(content) || obj.Checksum != storage.ChecksumOf(content) || obj.Size != int64(len(content)) {
		t.Fatalf("Put = %+v", obj)
	}
	got, err := s.Get(ctx, obj.ID)
	if err != nil || !bytes.Equal(got, content) {
		t.Fatalf("Get = %q, %v", got, err)
	}
	if ok, err := s.Exists(ctx, obj.ID); !ok || err != nil {
		t.Fatalf("Exists = %v, %v", ok, err)
	}
	// upper case names the same object
	if got, err := s.Get(ctx, strings.ToUpper(obj.ID)); err != nil || !bytes.Equal(got, content) {
		t.Fatalf("Get(upper) = %q, %v", got, err)
	}
	again, err := s.PutReader(ctx, bytes.NewReader(content))
	if err != nil || again != obj {
		t.Fatalf("PutReader of the same content = %+v, %v", again, err)
	}
	missing := storage.IDOf([]byte("never stored"))
	if ok, err := s.Exists(ctx, missing); ok || err != nil {
		t.Fatalf("Exists(missing) = %v, %v", ok, err)
	}
	_, err = s.Get(ctx, missing)
	if !errors.Is(err, fault.ErrNotFound) || !strings.Contains(err.Error(), missing) {
		t.Fatalf("Get(missing) = %v", err)
	}
	empty, err := s.Put(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s.Get(ctx, empty.ID); err != nil || len(got) != 0 {
		t.Fatalf("Get(empty) = %q, %v", got, err)
	}
}

func TestMemory(t *testing.T) {
	b := memblob.OpenBucket(nil)
	defer b.Close()
	roundTrip(t, newStore(t, b, 0))
}

func TestFolder(t *testing.T) {
	b, err := fileblob.OpenBucket(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	roundTrip(t, newStore(t, b, 0))
}

// Content already stored is not written again: an object changed behind the store's back keeps
// its (changed) bytes when the same content is put again.
func TestPutWritesOnce(t *testing.T) {
	ctx := context.Background()
	b := memblob.OpenBucket(nil)
	defer b.Close()
	s, err := storage.New(storage.Config{Bucket: b, Prefix: "p/"})
	if err != nil {
		t.Fatal(err)
	}
	obj, err := s.Put(ctx, []byte("one"))
	if err != nil {
		t.Fatal(err)
	}
	if err := b.WriteAll(ctx, "p/"+obj.ID, []byte("changed"), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(ctx, []byte("one")); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Get(ctx, obj.ID); string(got) != "changed" {
		t.Fatalf("the object was written again: %q", got)
	}
}

// An object longer than MaxBytes is refused naming the setting, and nothing is stored.
func TestTooLarge(t *testing.T) {
	ctx := context.Background()
	b := memblob.OpenBucket(nil)
	defer b.Close()
	s := newStore(t, b, 10)
	if _, err := s.Put(ctx, []byte("0123456789")); err != nil {
		t.Fatalf("exactly MaxBytes: %v", err)
	}
	for name, put := range map[string]func() error{
		"Put":       func() error { _, err := s.Put(ctx, []byte("0123456789a")); return err },
		"PutReader": func() error { _, err := s.PutReader(ctx, strings.NewReader(strings.Repeat("x", 1000))); return err },
	} {
		err := put()
		if !errors.Is(err, limits.ErrExceeded) || !strings.Contains(err.Error(), "INFRAHUB_STORAGE_MAX_BYTES") ||
			!strings.Contains(err.Error(), "at most 10") {
			t.Errorf("%s = %v", name, err)
		}
	}
	it := b.List(nil)
	n := 0
	for {
		if _, err := it.Next(ctx); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 1 {
		t.Fatalf("%d objects stored, want 1", n)
	}
}

// An identifier that is not a UUID is invalid and the bucket is not asked (it is closed here:
// asking it would fail otherwise).
func TestInvalidIdentifier(t *testing.T) {
	b := memblob.OpenBucket(nil)
	s := newStore(t, b, 0)
	_ = b.Close()
	for _, id := range []string{"", "../etc/passwd", "e3b0c442-98fc-8c14-9afb-f4c8996fb92", "e3b0c442-98fc-8c14-9afb-f4c8996fb92g",
		"e3b0c44298fc8c149afbf4c8996fb9240000", "e3b0c442/98fc-8c14-9afb-f4c8996fb924"} {
		if _, err := s.Get(context.Background(), id); !errors.Is(err, fault.ErrInvalid) || !strings.Contains(err.Error(), "not a UUID") {
			t.Errorf("Get(%q) = %v", id, err)
		}
		if _, err := s.Exists(context.Background(), id); !errors.Is(err, fault.ErrInvalid) {
			t.Errorf("Exists(%q) = %v", id, err)
		}
	}
	// a failing bucket is unavailable
	if _, err := s.Get(context.Background(), storage.IDOf(nil)); !errors.Is(err, fault.ErrUnavailable) {
		t.Errorf("Get on a closed bucket = %v", err)
	}
}

// A cancelled context stops the store's work and is answered as unavailable.
func TestCancelled(t *testing.T) {
	b := memblob.OpenBucket(nil)
	defer b.Close()
	s := newStore(t, b, 0)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Put(ctx, []byte("x")); !errors.Is(err, fault.ErrUnavailable) || !errors.Is(err, context.Canceled) {
		t.Fatalf("Put with a cancelled context = %v", err)
	}
}
