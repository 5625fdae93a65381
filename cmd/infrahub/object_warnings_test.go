package main

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/infrahub-go/infrahub/branch"
	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/commands"
	"github.com/infrahub-go/infrahub/events/sqlite"
	"github.com/infrahub-go/infrahub/projections"
	"github.com/infrahub-go/infrahub/queries/rest"
)

// `infrahub object validate` and `infrahub object load` print, on stderr, what the server
// ignored in a file (keys infrahubctl ignores too), and the file loads.
func TestObjectCLIPrintsWarnings(t *testing.T) {
	log, err := sqlite.Open(context.Background(), sqlite.Config{Path: filepath.Join(t.TempDir(), "e.db")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = log.Close() })
	store, err := nodes.New()
	if err != nil {
		t.Fatal(err)
	}
	fold := projections.NewInline(log, store)
	app, err := commands.New(commands.Config{Log: log, Catalogue: store.Catalogue(), State: store, WaitFor: fold.WaitFor})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/api/commands", &commands.Endpoint{Commands: app, Logger: slog.New(slog.DiscardHandler)})
	(&rest.Objects{State: store.Branches(), Default: branch.Default}).Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	file := filepath.Join(t.TempDir(), "tags.yml")
	content := "apiVersion: infrahub.app/v1\nkind: Object\nversion: 1\nspec:\n  kind: BuiltinTag\n  data:\n    - name: red\n"
	if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	warning := "warning: " + file + ":3: document 1, version: unknown key, ignored"
	for _, verb := range []string{"validate", "load"} {
		root := newRoot(map[string]string{"INFRAHUB_ADDRESS": srv.URL})
		var out, errOut bytes.Buffer
		root.SetOut(&out)
		root.SetErr(&errOut)
		root.SetArgs([]string{"object", verb, file})
		if err := root.ExecuteContext(context.Background()); err != nil {
			t.Fatalf("object %s: %v", verb, err)
		}
		if !strings.Contains(errOut.String(), warning) {
			t.Errorf("object %s: stderr %q lacks %q", verb, errOut.String(), warning)
		}
		if err := fold.WaitFor(context.Background(), 0); err != nil {
			t.Fatal(err)
		}
	}
	v, err := store.View(branch.Default, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := v.ByHFID("BuiltinTag", []string{"red"}); !ok {
		t.Fatal("the file was not loaded")
	}
}
