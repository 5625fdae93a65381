package storage_test

import (
	"context"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"gocloud.dev/blob"
	_ "gocloud.dev/blob/s3blob"
)

// fakeS3 serves an in-process S3 (gofakes3) on 127.0.0.1 with one bucket, and sets the AWS
// credentials the SDK reads (and nothing of the user's AWS configuration); it answers the
// s3:// URL of the bucket as INFRAHUB_STORAGE_URL takes it.
func fakeS3(t *testing.T, bucket string) string {
	t.Helper()
	backend := s3mem.New()
	if err := backend.CreateBucket(bucket); err != nil {
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
	q := url.Values{"endpoint": {srv.URL}, "region": {"us-east-1"}, "use_path_style": {"true"}, "disable_https": {"true"}}
	return "s3://" + bucket + "?" + q.Encode()
}

// Objects round-trip through S3 (gocloud.dev's s3blob against gofakes3).
func TestS3(t *testing.T) {
	ctx := context.Background()
	b, err := blob.OpenBucket(ctx, fakeS3(t, "infrahub"))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	roundTrip(t, newStore(t, b, 0))
}
