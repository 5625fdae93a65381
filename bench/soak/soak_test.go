package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A short soak against a real server: requests of both classes answered, no error, RSS read.
func TestSoakSmoke(t *testing.T) {
	if err := os.Chdir(filepath.Join("..", "..")); err != nil { // go build ./cmd/infrahub from the module root
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "soak.json")
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"--duration", "1s", "--clients", "2", "--out", out}, &stdout, &stderr); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var r Result
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatal(err)
	}
	if r.Reads.Count == 0 || r.Writes.Count == 0 || r.Errors != 0 || r.RSSBeforeMB <= 0 || r.RSSAfterMB <= 0 ||
		!strings.Contains(stdout.String(), "req/s") {
		t.Fatalf("soak result: %+v\n%s", r, stdout.String())
	}
}

func TestSoakFlags(t *testing.T) {
	for _, args := range [][]string{{"--clients", "0"}, {"--duration", "11m"}, {"--reads", "101"}, {"extra"}} {
		if _, err := parseFlags(args, &bytes.Buffer{}); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
}
