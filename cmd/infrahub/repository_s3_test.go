package main

import (
	"fmt"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/infrahub-go/infrahub/internal/testenv"
	"github.com/infrahub-go/infrahub/storage"
)

// smartHTTP serves the bare repositories under root with `git http-backend` (Debian's git)
// behind basic auth on 127.0.0.1; refused counts the requests refused for their credentials.
func smartHTTP(t *testing.T, root, user, password string, refused *atomic.Int64) string {
	t.Helper()
	gitPath, err := exec.LookPath("git")
	if err != nil {
		t.Fatal(err)
	}
	backend := &cgi.Handler{Path: gitPath, Args: []string{"http-backend"}, Root: "/git",
		Env: []string{"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1", "GIT_CONFIG_NOSYSTEM=1", "HOME=" + root}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, ok := r.BasicAuth()
		if !ok || u != user || p != password {
			refused.Add(1)
			w.Header().Set("WWW-Authenticate", `Basic realm="git"`)
			http.Error(w, "authentication required", http.StatusUnauthorized)
			return
		}
		backend.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/git/catalog.git"
}

// The flow of issue 19 on a server that holds the catalog's data already, with the artifacts in S3 (an in-process gofakes3 server) and the
// repository served over smart HTTP Git with a password: the credential is stored as a
// CorePasswordCredential (infrahub repository add --username --password-stdin), never shown.
func TestRepositoryArtifactsS3SmartHTTP(t *testing.T) {
	work := catalogRepo(t)
	root := t.TempDir()
	git(t, root, "clone", "-q", "--bare", work, filepath.Join(root, "catalog.git"))
	const user, password = "netops", "s3cret-Pa55word"
	var refused atomic.Int64
	location := smartHTTP(t, root, user, password, &refused)

	s3 := s3mem.New()
	if err := s3.CreateBucket("artifacts"); err != nil {
		t.Fatal(err)
	}
	fake := httptest.NewServer(gofakes3.New(s3).Server())
	t.Cleanup(fake.Close)
	none := filepath.Join(t.TempDir(), "none")
	q := url.Values{"endpoint": {fake.URL}, "region": {"us-east-1"}, "use_path_style": {"true"}}
	srv := startChild(t, freeAddr(t), map[string]string{"INFRAHUB_DATA": t.TempDir(), "INFRAHUB_GIT_SYNC_INTERVAL": "1",
		"INFRAHUB_STORAGE_URL": "s3://artifacts?" + q.Encode(), "AWS_ACCESS_KEY_ID": "test-access-key",
		"AWS_SECRET_ACCESS_KEY": "test-secret-key", "AWS_CONFIG_FILE": none, "AWS_SHARED_CREDENTIALS_FILE": none,
		"AWS_EC2_METADATA_DISABLED": "true"})

	// a wrong password first: the repository says so, and nothing is imported
	clientCLI(t, srv.base, "not-the-password\n", "repository", "add", "wrong", location, "--username", user, "--password-stdin")
	eventually(t, 30*time.Second, "the credential error reported", func() (bool, string) {
		r := repositoryRow(t, srv.base, "wrong")
		return r != nil && r["operational_status"] == "error-cred", fmt.Sprint(r)
	})
	if refused.Load() == 0 {
		t.Fatal("the server was never asked with a wrong password")
	}
	gqlData(t, srv.base, `mutation($id: String!) { CoreRepositoryDelete(data: {id: $id}) { ok } }`,
		map[string]any{"id": repositoryRow(t, srv.base, "wrong")["id"]})

	// the server holds the catalog's data already (loaded with the CLI): the import upserts it
	corpus := testenv.Corpus(t, "infrahub-demo-service-catalog")
	cli := map[string]string{"INFRAHUB_ADDRESS": srv.base}
	var paths []string
	for _, p := range []string{"base", "location_minimal", "vlan", "service"} {
		paths = append(paths, filepath.Join(corpus, "schemas", p))
	}
	if out, err := runCLI(t, cli, append([]string{"schema", "load"}, paths...)...); err != nil {
		t.Fatalf("schema load: %v\n%s", err, out)
	}
	paths = paths[:0]
	for _, f := range []string{"01_location", "02_groups_tags", "03_ipam_domain", "04_manufacturer", "04_profiles", "04_provider",
		"05_resource_pools", "06_device_type", "07_device_template", "08_device", "../menu"} {
		paths = append(paths, filepath.Join(corpus, "data", f+".yml"))
	}
	if out, err := runCLI(t, cli, append([]string{"object", "load"}, paths...)...); err != nil || !strings.Contains(out, "DcimDevice") {
		t.Fatalf("object load: %v\n%s", err, out)
	}
	clientCLI(t, srv.base, password+"\n", "repository", "add", "catalog", location, "--username", user, "--password-stdin")
	arts := checkCatalogArtifacts(t, srv.base)
	keys, err := s3.ListBucket("artifacts", nil, gofakes3.ListBucketPage{})
	if err != nil {
		t.Fatal(err)
	}
	stored := map[string]bool{}
	for _, k := range keys.Contents {
		stored[k.Key] = true
	}
	for name, a := range arts {
		if !stored[storage.DefaultPrefix+a.StorageID] {
			t.Fatalf("the artifact of %s is not in the S3 bucket (keys %v)", name, stored)
		}
	}

	// a pushed change of the template regenerates every artifact from the new commit
	git(t, work, "remote", "add", "origin", filepath.Join(root, "catalog.git"))
	tpl, _ := os.ReadFile(filepath.Join(work, "templates", "device_config.j2"))
	commit := commitFile(t, work, "templates/device_config.j2", "! pushed\n"+string(tpl), "a header")
	git(t, work, "push", "-q", "origin", "main")
	eventually(t, 60*time.Second, "every artifact regenerated", func() (bool, string) {
		now := artifactsByDevice(t, srv.base)
		changed := 0
		for name, a := range now {
			if a.Checksum != arts[name].Checksum && a.Status == "Ready" {
				changed++
			}
		}
		return changed == 16, fmt.Sprintf("%d of 16; repository %v", changed, repositoryRow(t, srv.base, "catalog"))
	})
	if r := repositoryRow(t, srv.base, "catalog"); r["commit"] != commit {
		t.Fatalf("repository %v, want commit %s", r, commit)
	}

	// the password is nowhere: not in the logs, not in the tasks' logs
	data := gqlData(t, srv.base, `query { InfrahubTask(limit: 500, log_limit: 1000) { edges { node { title logs { edges { node { message } } } } } } }`, nil)
	if s := mustJSON(data) + srv.logs.String(); strings.Contains(s, password) || strings.Contains(s, "not-the-password") {
		t.Fatal("a password shows in the logs or the tasks")
	}
}
