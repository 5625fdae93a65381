package main

import (
	"context"
	"errors"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/infrahub-go/infrahub/limits"
	"github.com/infrahub-go/infrahub/storage"
)

// INFRAHUB_STORAGE_URL=s3://bucket?endpoint=...&region=...&use_path_style=true opens an S3
// bucket (an in-process gofakes3 on 127.0.0.1 here, credentials from AWS_ACCESS_KEY_ID and
// AWS_SECRET_ACCESS_KEY), and INFRAHUB_STORAGE_MAX_BYTES bounds its objects.
func TestOpenStorageS3(t *testing.T) {
	backend := s3mem.New()
	if err := backend.CreateBucket("infrahub-artifacts"); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gofakes3.New(backend).Server())
	t.Cleanup(srv.Close)
	none := filepath.Join(t.TempDir(), "none")
	t.Setenv("AWS_ACCESS_KEY_ID", "test-access-key")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test-secret-key")
	t.Setenv("AWS_CONFIG_FILE", none)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", none)
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	q := url.Values{"endpoint": {srv.URL}, "region": {"us-east-1"}, "use_path_style": {"true"}}
	cfg, err := LoadConfig(map[string]string{"INFRAHUB_DATA": t.TempDir(),
		"INFRAHUB_STORAGE_URL": "s3://infrahub-artifacts?" + q.Encode(), "INFRAHUB_STORAGE_MAX_BYTES": "1024"})
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Resolve(); err != nil {
		t.Fatal(err)
	}
	if cfg.Limits.StorageObjectBytes != 1024 {
		t.Fatalf("StorageObjectBytes = %d", cfg.Limits.StorageObjectBytes)
	}
	ctx := context.Background()
	b, err := openStorage(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	st, err := storage.New(storage.Config{Bucket: b, MaxBytes: cfg.Limits.StorageObjectBytes})
	if err != nil {
		t.Fatal(err)
	}
	obj, err := st.Put(ctx, []byte("interface Ethernet1\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := st.Get(ctx, obj.ID); err != nil || string(got) != "interface Ethernet1\n" {
		t.Fatalf("Get = %q, %v", got, err)
	}
	if keys, err := backend.ListBucket("infrahub-artifacts", nil, gofakes3.ListBucketPage{}); err != nil ||
		len(keys.Contents) != 1 || keys.Contents[0].Key != storage.DefaultPrefix+obj.ID {
		t.Fatalf("bucket holds %+v, %v", keys, err)
	}
	if _, err := st.Put(ctx, make([]byte, 1025)); !errors.Is(err, limits.ErrExceeded) {
		t.Fatalf("Put of 1025 bytes = %v", err)
	}
	// a wrong parameter names the variable
	cfg.StorageURL = "s3://infrahub-artifacts?use_path_style=maybe"
	if _, err := openStorage(ctx, cfg); err == nil || !strings.Contains(err.Error(), "INFRAHUB_STORAGE_URL") {
		t.Fatalf("openStorage with a bad parameter = %v", err)
	}
}
