package archtest

import (
	"bufio"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// A layer is a folder of the module and the rules for the non-test .go files beneath it.
//
// Patterns (in mayImport and testOnly) are paths relative to the module root: "events" is exactly
// the package events, "events/..." is events and every package below it, "..." is every package
// of the module.
type layer struct {
	folder    string   // relative to the module root; the longest matching folder wins
	mayImport []string // packages of the module that non-test files may import
	// mayReadConfig allows reading environment variables and command-line flags (only the
	// composition root and test support do that; everything else takes a config struct).
	mayReadConfig bool
	// testSupport allows importing the test-only packages (testOnly).
	testSupport bool
}

// layers is the table of ARCHITECTURE.md §3. A new top-level folder must be added here: the test
// fails on any folder holding Go files that is not in this table (or in ignoredFolders).
var layers = []layer{
	// fault (the error family) and tlsconfig (the client TLS of every dependency) are leaves that
	// every layer may import.
	{folder: "fault", mayImport: nil},
	{folder: "tlsconfig", mayImport: nil},
	{folder: "redact", mayImport: nil},
	{folder: "limits", mayImport: []string{"fault"}}, // every bound, in one place
	{folder: "backoff", mayImport: nil},              // the one retry delay
	{folder: "gcfloor", mayImport: nil},              // the collector's heap floor, set by the composition root
	{folder: "callers", mayImport: nil},              // the peak of concurrent callers a group commit waits for
	{folder: "authz", mayImport: []string{"fault", "limits", "redact", "schema/...", "events", "branch"}},                     // the one authorization point
	{folder: "events", mayImport: []string{"events/...", "migrations", "backoff", "callers", "fault", "limits", "tlsconfig"}}, // adapters apply migrations
	{folder: "migrations", mayImport: []string{"migrations/..."}},
	{folder: "schema", mayImport: []string{"schema/...", "jinja/...", "events", "fault", "limits"}}, // root events: payload types only
	{folder: "branch", mayImport: []string{"branch/...", "events", "schema/...", "fault", "limits"}},
	{folder: "jinja", mayImport: []string{"jinja/...", "fault"}},                                  // our Jinja2 engine: a leaf of its own
	{folder: "task", mayImport: []string{"events", "fault", "limits"}},                            // task events and their fold
	{folder: "cluster", mayImport: []string{"fault", "backoff", "tlsconfig"}},                     // leases and presence shared through Redis
	{folder: "repository", mayImport: []string{"repository/...", "fault", "limits", "tlsconfig"}}, // .infrahub.yml and Git mirrors (go-git)
	{folder: "storage", mayImport: []string{"fault", "limits"}},                                   // content-addressed objects in blob storage
	{folder: "graph", mayImport: []string{"graph/...", "events", "schema/...", "fault"}},          // if the state model is named graph/
	{folder: "commands", mayImport: []string{"commands/...", "events", "task", "schema/...", "branch/...", "graph/...", "authz", "backoff", "callers", "fault", "limits", "tlsconfig"}},
	{folder: "projections", mayImport: []string{"projections/...", "events/...", "task", "schema/...", "branch/...", "graph/...", "authz", "backoff", "fault", "limits"}},
	// queries reads through the graph port only: projections/graph, never one of its adapters
	// (projections/graph/memory, ...) nor the state model below branch (branch/graph,
	// branch/nodes); only the value types of the branch root.
	{folder: "queries", mayImport: []string{"queries/...", "projections/graph", "projections/tasks", "projections/activity", "task", "schema/...", "branch", "graph", "commands/...", "events", "authz", "backoff", "fault", "limits", "jinja/...", "repository/...", "storage"}},
	{folder: "workers", mayImport: []string{"workers/...", "task", "cluster", "commands/...", "queries/...", "events/...", "projections/...", "schema/...", "branch/...", "graph/...", "authz", "backoff", "fault", "limits", "tlsconfig", "jinja/...", "repository/...", "storage"}},
	{folder: "cmd", mayImport: []string{"..."}, mayReadConfig: true},
	// internal/... is test support: nothing above events.
	{folder: "internal", mayImport: []string{"internal/...", "events/...", "migrations/...", "fault"}, testSupport: true},
	{folder: "internal/testenv", mayImport: []string{"internal/...", "events/...", "migrations/...", "fault"}, testSupport: true, mayReadConfig: true},
	{folder: "bench", mayImport: []string{"..."}, testSupport: true, mayReadConfig: true},
}

// leaves are packages of ours that every layer may import besides its mayImport: redact hides
// secrets in logs and errors.
var leaves = []string{"redact"}

// testOnly are the packages that only _test.go files (and test-support layers) may import:
// internal/... and projections/graph/graphtest (the graph port's contract suite).
var testOnly = []string{"internal/...", "projections/graph/graphtest"}

// ignoredFolders are top-level folders that are not walked at all.
var ignoredFolders = []string{
	"docs",
	"testdata",
	"data", // embedded mode's runtime data (events.db, storage, git working copies)
}

// envReaders are the functions that read the process environment, by import path.
var envReaders = map[string][]string{
	"os":      {"Getenv", "LookupEnv", "Environ", "ExpandEnv"},
	"syscall": {"Getenv", "Environ"},
}

// configImports are the packages that read flags or the environment; a path matches itself and
// every package below it.
var configImports = []string{
	"flag",
	"github.com/spf13/cobra",
	"github.com/spf13/pflag",
	"github.com/spf13/viper",
	"github.com/caarlos0/env",
	"github.com/kelseyhightower/envconfig",
	"github.com/joho/godotenv",
}

const configRule = "only cmd/ (and internal/testenv, bench/) may read the environment or flags"

// sourceFile is a non-test .go file of the module.
type sourceFile struct {
	path string // slash-separated, relative to the module root
	src  []byte
}

func TestLayers(t *testing.T) {
	root, module := findModule(t)
	files, err := walkModule(root)
	if err != nil {
		t.Fatal(err)
	}

	// Make sure the walk saw the tree, so that a broken walk cannot pass by checking nothing.
	if !slices.ContainsFunc(files, func(f sourceFile) bool { return path.Dir(f.path) == "events" }) {
		t.Fatalf("walked %d files under %s but none in events/: the walk is broken", len(files), root)
	}

	if violations := check(module, files); len(violations) > 0 {
		t.Errorf("%d architecture violation(s) (see ARCHITECTURE.md §3 and the table in internal/archtest/layers_test.go):\n%s",
			len(violations), strings.Join(violations, "\n"))
	}
	t.Logf("checked %d non-test .go files of %s", len(files), module)
}

// TestCheckerCatchesViolations proves that check reports what it should, so that TestLayers
// passing means something.
func TestCheckerCatchesViolations(t *testing.T) {
	const mod = "example.com/m"
	tests := []struct {
		name  string
		files []sourceFile
		want  []string
	}{
		{
			name: "allowed imports",
			files: []sourceFile{
				file("events/postgres/pg.go", `package postgres
import (
	"os"
	"example.com/m/events"
	"example.com/m/migrations"
	"github.com/jackc/pgx/v5"
)
var _ = os.ReadFile`),
				file("schema/schema.go", `package schema
import "example.com/m/events"`),
				file("commands/create.go", `package commands
import (
	"example.com/m/events"
	"example.com/m/schema/core"
	"example.com/m/branch"
)`),
				file("projections/runner.go", `package projections
import "example.com/m/events/forward"`),
				file("projections/graph/memory/memory.go", `package memory
import (
	"example.com/m/branch/graph"
	"example.com/m/branch/nodes"
	"example.com/m/projections/graph"
)`),
				file("queries/graphql/exec.go", `package graphql
import (
	"example.com/m/branch"
	"example.com/m/commands"
	"example.com/m/commands/payload"
	"example.com/m/events"
	"example.com/m/fault"
	"example.com/m/projections/graph"
	"example.com/m/schema"
	"example.com/m/schema/core"
)`),
				file("workers/git.go", `package workers
import (
	"example.com/m/queries"
	"example.com/m/commands"
)`),
				file("cmd/infrahub/main.go", `package main
import (
	"flag"
	"os"
	"github.com/spf13/cobra"
	"example.com/m/events/postgres"
	"example.com/m/workers"
)
var _ = os.Getenv("INFRAHUB_EVENTS_URL")`),
				file("internal/testenv/testenv.go", `package testenv
import "os"
var _ = os.Getenv("CI")`),
				file("bench/load/main.go", `package main
import (
	"flag"
	"example.com/m/internal/testenv"
	"example.com/m/cmd/infrahub/config"
)`),
				file("docs/example/main.go", `package main
import "example.com/m/queries"`),
			},
			want: nil,
		},
		{
			name: "upward imports",
			files: []sourceFile{
				file("commands/create.go", `package commands
import (
	"example.com/m/queries"
	q "example.com/m/projections/graph"
	"example.com/m/events/postgres"
)`),
				file("events/envelope.go", `package events
import "example.com/m/schema"`),
				file("schema/parse.go", `package schema
import "example.com/m/events/sqlite"`),
				file("migrations/migrations.go", `package migrations
import "example.com/m/events"`),
				file("branch/state.go", `package branch
import "example.com/m/commands"`),
				file("internal/testenv/testenv.go", `package testenv
import "example.com/m/projections"`),
			},
			want: []string{
				"branch/state.go imports example.com/m/commands: branch may not import commands",
				"commands/create.go imports example.com/m/events/postgres: commands may not import events/postgres",
				"commands/create.go imports example.com/m/projections/graph: commands may not import projections/graph",
				"commands/create.go imports example.com/m/queries: commands may not import queries",
				"events/envelope.go imports example.com/m/schema: events may not import schema",
				"internal/testenv/testenv.go imports example.com/m/projections: internal/testenv may not import projections",
				"migrations/migrations.go imports example.com/m/events: migrations may not import events",
				"schema/parse.go imports example.com/m/events/sqlite: schema may not import events/sqlite",
			},
		},
		{
			name: "queries past the graph port",
			files: []sourceFile{
				file("queries/rest/dump.go", `package rest
import "example.com/m/branch/nodes"`),
				file("queries/graphql/pools.go", `package graphql
import (
	"example.com/m/branch/graph"
	"example.com/m/projections/graph/memory"
	"example.com/m/projections"
	"example.com/m/events/sqlite"
)`),
				file("queries/graphql/suite.go", `package graphql
import "example.com/m/projections/graph/graphtest"`),
			},
			want: []string{
				"queries/graphql/pools.go imports example.com/m/branch/graph: queries may not import branch/graph",
				"queries/graphql/pools.go imports example.com/m/events/sqlite: queries may not import events/sqlite",
				"queries/graphql/pools.go imports example.com/m/projections: queries may not import projections",
				"queries/graphql/pools.go imports example.com/m/projections/graph/memory: queries may not import projections/graph/memory",
				"queries/graphql/suite.go imports example.com/m/projections/graph/graphtest: queries may not import projections/graph/graphtest (test support: only _test.go files may import it)",
				"queries/rest/dump.go imports example.com/m/branch/nodes: queries may not import branch/nodes",
			},
		},
		{
			name: "test support outside tests",
			files: []sourceFile{
				file("events/eventstoretest/suite.go", `package eventstoretest
import "example.com/m/internal/testenv"`),
				file("cmd/infrahub/main.go", `package main
import "example.com/m/internal/testenv"`),
			},
			want: []string{
				"cmd/infrahub/main.go imports example.com/m/internal/testenv: cmd may not import internal/testenv (test support: only _test.go files may import it)",
				"events/eventstoretest/suite.go imports example.com/m/internal/testenv: events may not import internal/testenv (test support: only _test.go files may import it)",
			},
		},
		{
			name: "environment and flags",
			files: []sourceFile{
				file("events/sqlite/config.go", `package sqlite
import (
	"flag"
	stdos "os"
	"github.com/caarlos0/env/v11"
)
func dir() string {
	if v, ok := stdos.LookupEnv("X"); ok {
		return v
	}
	f := stdos.Environ
	_ = f
	return stdos.Getenv("Y")
}`),
				file("projections/p.go", `package projections
import (
	"os"
	"github.com/spf13/pflag"
)
func f() {
	os := struct{ Getenv func(string) string }{} // shadows the import: not the environment
	_ = os.Getenv("X")
}`),
				file("queries/q.go", `package queries
import (
	. "os"
	"syscall"
)
var a = Getenv("A")
var b, _ = syscall.Getenv("B")`),
			},
			want: []string{
				"events/sqlite/config.go imports flag: " + configRule,
				"events/sqlite/config.go imports github.com/caarlos0/env/v11: " + configRule,
				"events/sqlite/config.go:8 calls os.LookupEnv: " + configRule,
				"events/sqlite/config.go:11 calls os.Environ: " + configRule,
				"events/sqlite/config.go:13 calls os.Getenv: " + configRule,
				"projections/p.go imports github.com/spf13/pflag: " + configRule,
				"queries/q.go:6 calls os.Getenv: " + configRule,
				"queries/q.go:7 calls syscall.Getenv: " + configRule,
			},
		},
		{
			name: "folders missing from the table",
			files: []sourceFile{
				file("util/strings.go", `package util`),
				file("util/more/more.go", `package more`),
				file("root.go", `package m`),
			},
			want: []string{
				"root.go: the module root is not in the layer table of internal/archtest/layers_test.go: add it with the layers it may import",
				"util/strings.go: top-level folder util is not in the layer table of internal/archtest/layers_test.go: add it with the layers it may import",
			},
		},
		{
			name:  "unparsable file",
			files: []sourceFile{file("events/broken.go", `package events; import (`)},
			want:  []string{"events/broken.go: cannot parse"}, // the parser's own message follows
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := check(mod, tt.files)
			for i, g := range got {
				if before, _, ok := strings.Cut(g, ": cannot parse: "); ok {
					got[i] = before + ": cannot parse"
				}
			}
			want := slices.Clone(tt.want)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("check reported:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
			}
		})
	}
}

func file(p, src string) sourceFile { return sourceFile{path: p, src: []byte(src)} }

// check applies the rules to the files of module and returns the violations, sorted.
func check(module string, files []sourceFile) []string {
	var out []string
	unknown := map[string]bool{}
	for _, f := range files {
		dir := path.Dir(f.path)
		top, _, _ := strings.Cut(dir, "/")
		if slices.Contains(ignoredFolders, top) {
			continue
		}
		l, ok := layerOf(dir)
		if !ok {
			if !unknown[top] {
				unknown[top] = true
				what := "top-level folder " + top
				if dir == "." {
					what = "the module root"
				}
				out = append(out, fmt.Sprintf("%s: %s is not in the layer table of internal/archtest/layers_test.go: add it with the layers it may import", f.path, what))
			}
			continue
		}
		out = append(out, checkFile(module, l, f)...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func checkFile(module string, l layer, f sourceFile) []string {
	fset := token.NewFileSet()
	ast1, err := parser.ParseFile(fset, f.path, f.src, parser.ImportsOnly)
	if err != nil {
		return []string{fmt.Sprintf("%s: cannot parse: %v", f.path, err)}
	}
	var out []string
	readsEnv := map[string]string{} // local name of an env-reading import -> its path
	for _, spec := range ast1.Imports {
		imp, err := strconv.Unquote(spec.Path.Value)
		if err != nil {
			continue // the parser already rejects bad strings
		}
		if !l.mayReadConfig {
			if _, ok := envReaders[imp]; ok {
				name := imp
				if spec.Name != nil {
					name = spec.Name.Name
				}
				readsEnv[name] = imp
			}
			if slices.ContainsFunc(configImports, func(p string) bool { return imp == p || strings.HasPrefix(imp, p+"/") }) {
				out = append(out, fmt.Sprintf("%s imports %s: %s", f.path, imp, configRule))
			}
		}
		rel, ours := relImport(module, imp)
		if !ours {
			continue
		}
		switch {
		case !l.testSupport && matchesAny(testOnly, rel):
			out = append(out, fmt.Sprintf("%s imports %s: %s may not import %s (test support: only _test.go files may import it)",
				f.path, imp, l.folder, show(rel)))
		case !matchesAny(l.mayImport, rel) && !matchesAny(leaves, rel):
			out = append(out, fmt.Sprintf("%s imports %s: %s may not import %s", f.path, imp, l.folder, show(rel)))
		}
	}
	if len(readsEnv) == 0 {
		return out
	}

	// The file imports os or syscall: look at what it uses from them.
	full, err := parser.ParseFile(fset, f.path, f.src, 0)
	if err != nil {
		return append(out, fmt.Sprintf("%s: cannot parse: %v", f.path, err))
	}
	report := func(pos token.Pos, imp, fn string) {
		out = append(out, fmt.Sprintf("%s:%d calls %s.%s: %s", f.path, fset.Position(pos).Line, imp, fn, configRule))
	}
	selected := map[*ast.Ident]bool{}
	ast.Inspect(full, func(n ast.Node) bool {
		sel, ok := n.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		selected[sel.Sel] = true
		// An identifier bound to the import is unresolved (Obj == nil); a local variable that
		// shadows it is resolved.
		if x, ok := sel.X.(*ast.Ident); ok && x.Obj == nil {
			if imp, ok := readsEnv[x.Name]; ok && slices.Contains(envReaders[imp], sel.Sel.Name) {
				report(sel.Pos(), imp, sel.Sel.Name)
			}
		}
		return true
	})
	if imp, ok := readsEnv["."]; ok { // dot import: the functions are bare identifiers
		ast.Inspect(full, func(n ast.Node) bool {
			id, ok := n.(*ast.Ident)
			if ok && id.Obj == nil && !selected[id] && slices.Contains(envReaders[imp], id.Name) {
				report(id.Pos(), imp, id.Name)
			}
			return true
		})
	}
	return out
}

// layerOf returns the layer of a package directory (slash-separated, relative to the module root):
// the one with the longest folder that contains dir.
func layerOf(dir string) (layer, bool) {
	var best layer
	found := false
	for _, l := range layers {
		if (dir == l.folder || strings.HasPrefix(dir, l.folder+"/")) && len(l.folder) >= len(best.folder) {
			best, found = l, true
		}
	}
	return best, found
}

// relImport returns imp relative to the module root ("" for the root package) and whether it is
// a package of the module at all.
func relImport(module, imp string) (string, bool) {
	if imp == module {
		return "", true
	}
	rel, ok := strings.CutPrefix(imp, module+"/")
	return rel, ok
}

func matchesAny(patterns []string, rel string) bool {
	for _, p := range patterns {
		if p == "..." {
			return true
		}
		if base, ok := strings.CutSuffix(p, "/..."); ok {
			if rel == base || strings.HasPrefix(rel, base+"/") {
				return true
			}
		} else if rel == p {
			return true
		}
	}
	return false
}

func show(rel string) string {
	if rel == "" {
		return "the module root"
	}
	return rel
}

// findModule walks up from the working directory to go.mod and returns the module root and path.
func findModule(t *testing.T) (root, module string) {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		f, err := os.Open(filepath.Join(dir, "go.mod"))
		if err == nil {
			defer f.Close()
			sc := bufio.NewScanner(f)
			for sc.Scan() {
				if m, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "module "); ok {
					return dir, strings.Trim(strings.TrimSpace(m), `"`)
				}
			}
			t.Fatalf("%s/go.mod has no module line", dir)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the working directory")
		}
		dir = parent
	}
}

// walkModule returns the non-test .go files of the module rooted at root, skipping what the go
// tool skips (testdata, vendor, folders starting with . or _, nested modules) and ignoredFolders.
func walkModule(root string) ([]sourceFile, error) {
	var files []sourceFile
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) { // removed while we walk: others edit the tree
				return nil
			}
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		name := d.Name()
		if d.IsDir() {
			if rel == "." {
				return nil
			}
			if strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata" || name == "vendor" ||
				(!strings.Contains(rel, "/") && slices.Contains(ignoredFolders, rel)) {
				return filepath.SkipDir
			}
			if _, err := os.Stat(filepath.Join(p, "go.mod")); err == nil {
				return filepath.SkipDir // another module
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") ||
			strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") {
			return nil
		}
		src, err := os.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		files = append(files, sourceFile{path: rel, src: src})
		return nil
	})
	return files, err
}
