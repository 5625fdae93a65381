// Package storage keeps the objects Infrahub's object store holds (artifacts' contents, uploaded
// files) in a blob bucket (gocloud.dev/blob: a folder, S3, memory). Objects are content-addressed:
// the same content always has the same identifier and is written once.
package storage

import (
	"bytes"
	"context"
	"crypto/md5" //nolint:gosec // the checksum Infrahub's artifacts carry, not a security measure
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"

	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"

	"github.com/infrahub-go/infrahub/fault"
	"github.com/infrahub-go/infrahub/limits"
)

// DefaultPrefix is the key prefix of objects in the bucket when Config.Prefix is empty.
const DefaultPrefix = "objects/"

// Config is what a Store needs.
type Config struct {
	Bucket *blob.Bucket // required
	Prefix string       // key prefix of objects (default DefaultPrefix)
	// MaxBytes bounds one object (limits.StorageObjectBytes; 0: its default, 50 MiB).
	MaxBytes int64
}

// Validate refuses a Config without a bucket or with a negative bound.
func (c Config) Validate() error {
	var errs []error
	if c.Bucket == nil {
		errs = append(errs, fmt.Errorf("%w: storage: Bucket is required", fault.ErrInvalid))
	}
	if c.MaxBytes < 0 {
		errs = append(errs, fmt.Errorf("%w: storage: MaxBytes must not be negative, got %d", fault.ErrInvalid, c.MaxBytes))
	}
	return errors.Join(errs...)
}

// Store keeps objects in a bucket; safe for concurrent use.
type Store struct {
	bucket *blob.Bucket
	prefix string
	max    int64
}

// New answers the Store of cfg.
func New(cfg Config) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Prefix == "" {
		cfg.Prefix = DefaultPrefix
	}
	if cfg.MaxBytes == 0 {
		cfg.MaxBytes = limits.Default().StorageObjectBytes
	}
	return &Store{bucket: cfg.Bucket, prefix: cfg.Prefix, max: cfg.MaxBytes}, nil
}

// MaxBytes answers the largest object the store takes.
func (s *Store) MaxBytes() int64 { return s.max }

// Object is a stored object as Infrahub's upload endpoints answer it.
type Object struct {
	ID       string `json:"identifier"` // IDOf the content
	Checksum string `json:"checksum"`   // ChecksumOf the content
	Size     int64  `json:"-"`
}

// IDOf answers the identifier of content: a UUID of version 8 (RFC 9562) whose bits are the
// first 128 of the content's SHA-256, with the version and variant bits set.
func IDOf(content []byte) string {
	sum := sha256.Sum256(content)
	var u [16]byte
	copy(u[:], sum[:16])
	u[6] = u[6]&0x0f | 0x80 // version 8
	u[8] = u[8]&0x3f | 0x80 // variant 10
	var b [36]byte
	hex.Encode(b[0:8], u[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], u[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], u[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], u[8:10])
	b[23] = '-'
	hex.Encode(b[24:36], u[10:16])
	return string(b[:])
}

// ChecksumOf answers the MD5 of content in hexadecimal, the checksum Infrahub's upload endpoints
// answer and its artifacts carry.
func ChecksumOf(content []byte) string {
	sum := md5.Sum(content) //nolint:gosec // see the import
	return hex.EncodeToString(sum[:])
}

// Put stores content under IDOf(content); content already stored is not written again.
// Content longer than MaxBytes is refused with limits.ErrExceeded.
func (s *Store) Put(ctx context.Context, content []byte) (Object, error) {
	if int64(len(content)) > s.max {
		return Object{}, s.tooLarge(int64(len(content)))
	}
	obj := Object{ID: IDOf(content), Checksum: ChecksumOf(content), Size: int64(len(content))}
	key := s.prefix + obj.ID
	ok, err := s.bucket.Exists(ctx, key)
	if err != nil {
		return Object{}, s.failed("check", obj.ID, err)
	}
	if ok {
		return obj, nil
	}
	opts := &blob.WriterOptions{ContentType: "application/octet-stream"}
	if err := s.bucket.WriteAll(ctx, key, content, opts); err != nil {
		return Object{}, s.failed("write", obj.ID, err)
	}
	return obj, nil
}

// PutReader reads r to its end, at most MaxBytes (more: limits.ErrExceeded, nothing stored),
// and stores what it read.
func (s *Store) PutReader(ctx context.Context, r io.Reader) (Object, error) {
	var buf bytes.Buffer
	n, err := io.Copy(&buf, io.LimitReader(r, s.max+1))
	if err != nil {
		return Object{}, fmt.Errorf("storage: read the content: %w", err)
	}
	if n > s.max {
		return Object{}, s.tooLarge(n)
	}
	return s.Put(ctx, buf.Bytes())
}

// Get answers an object's content. An identifier that is not a UUID is fault.ErrInvalid (the
// bucket is not asked); an object not stored is fault.ErrNotFound naming the identifier.
func (s *Store) Get(ctx context.Context, id string) ([]byte, error) {
	key, err := s.key(id)
	if err != nil {
		return nil, err
	}
	content, err := s.bucket.ReadAll(ctx, key)
	if err != nil {
		return nil, s.failed("read", id, err)
	}
	return content, nil
}

// Exists reports whether an object is stored; an identifier that is not a UUID is
// fault.ErrInvalid.
func (s *Store) Exists(ctx context.Context, id string) (bool, error) {
	key, err := s.key(id)
	if err != nil {
		return false, err
	}
	ok, err := s.bucket.Exists(ctx, key)
	if err != nil {
		return false, s.failed("check", id, err)
	}
	return ok, nil
}

// key answers the bucket key of an identifier: a UUID in its textual form (any version, so that
// Infrahub's own identifiers are read too), in lower case.
func (s *Store) key(id string) (string, error) {
	if !isUUID(id) {
		return "", fmt.Errorf("%w: storage object identifier %q is not a UUID", fault.ErrInvalid, id)
	}
	return s.prefix + strings.ToLower(id), nil
}

func isUUID(id string) bool {
	if len(id) != 36 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}

func (s *Store) tooLarge(n int64) error {
	return limits.Exceeded("the object to store (bytes)", n, s.max, limits.Setting("StorageObjectBytes"))
}

// ErrObjectNotFound is the error of an identifier no object has.
var ErrObjectNotFound = fault.Coded(fault.ErrNotFound, "storage object not found", "not_found", "")

// failed names the operation and object of a bucket error and gives it its kind: not found, or
// unavailable (the bucket's service failed or the context ended).
func (s *Store) failed(op, id string, err error) error {
	if gcerrors.Code(err) == gcerrors.NotFound {
		return fmt.Errorf("%w: %s", ErrObjectNotFound, id)
	}
	return fmt.Errorf("%w: storage: %s object %s: %w", fault.ErrUnavailable, op, id, err)
}
