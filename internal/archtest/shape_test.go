package archtest

import (
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

// Limits of the code's shape (ARCHITECTURE.md, "Where things go").
const (
	maxMethods      = 30  // methods declared on one type, in non-test code
	maxUseCaseLines = 400 // lines of a non-test file of the use-case layer (commands/)
)

// The application is built by commands.New only: outside cmd/ (the composition root) and package
// commands itself, no code — test fixtures and the bench included — writes a composite literal of
// one of the package's components. A component is a struct type of package commands with
// unexported fields or a field whose type is an interface or func type declared in the package
// (the wiring of the write side); Config, the constructor's input, is the one exception. Payloads
// and answers (CreateNode, Result, ...) are data, and free to build.
func TestNoHandAssembly(t *testing.T) {
	root, module := findModule(t)
	files, err := walkAll(root)
	if err != nil {
		t.Fatal(err)
	}
	if v := checkAssembly(module, files); len(v) > 0 {
		t.Errorf("the application is assembled by hand outside cmd/ (build it with commands.New):\n%s", strings.Join(v, "\n"))
	}
}

func TestShape(t *testing.T) {
	root, _ := findModule(t)
	files, err := walkModule(root)
	if err != nil {
		t.Fatal(err)
	}
	if v := checkShape(files); len(v) > 0 {
		t.Errorf("%d shape violation(s):\n%s", len(v), strings.Join(v, "\n"))
	}
}

// TestShapeCheckersCatchViolations proves the two checkers report what they should.
func TestShapeCheckersCatchViolations(t *testing.T) {
	const mod = "example.com/m"
	commands := file("commands/app.go", `package commands
type NodeState interface{ View() }
type Syncer func() error
type Config struct{ State NodeState }
type Service struct{ handlers map[string]int }
type Nodes struct{ State NodeState }
type Loader struct{ Sync Syncer }
type Endpoint struct{ Commands *Service; Logger any }
type CreateNode struct{ Kind string `+"`json:\"kind\"`"+` }
func New(Config) (*Service, error) { return nil, nil }`)
	got := checkAssembly(mod, []sourceFile{
		commands,
		file("commands/app_test.go", `package commands_test
import "example.com/m/commands"
var _ = &commands.Nodes{}`), // the package's own tests may
		file("cmd/infrahub/serve.go", `package main
import "example.com/m/commands"
var _ = &commands.Endpoint{}`), // the composition root may
		file("queries/graphql/fixture_test.go", `package graphql_test
import c "example.com/m/commands"
var a, _ = c.New(c.Config{})
var b = c.CreateNode{Kind: "x"}
var d = &c.Nodes{State: nil}
var e = []c.Loader{{}}`),
		file("bench/nodes.go", `package main
import "example.com/m/commands"
var s = commands.Service{}`),
	})
	want := []string{
		"bench/nodes.go:3: composite literal of commands.Service",
		"queries/graphql/fixture_test.go:5: composite literal of commands.Nodes",
		"queries/graphql/fixture_test.go:6: composite literal of commands.Loader",
	}
	if !slices.Equal(got, want) {
		t.Errorf("checkAssembly reported:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}

	long := "package commands\n" + strings.Repeat("// line\n", maxUseCaseLines)
	var methods strings.Builder
	methods.WriteString("package schema\ntype Set struct{}\ntype Small struct{}\nfunc (s *Small) A() {}\n")
	for i := range maxMethods + 1 {
		fmt.Fprintf(&methods, "func (s *Set) M%d() {}\n", i)
	}
	got = checkShape([]sourceFile{
		file("commands/big.go", long),
		file("commands/nodetx/big.go", long),
		file("queries/big.go", long), // other layers have the ~800-line rule of the stop hook only
		file("schema/set.go", methods.String()),
	})
	want = []string{
		fmt.Sprintf("commands/big.go: %d lines, at most %d in commands/", maxUseCaseLines+1, maxUseCaseLines),
		fmt.Sprintf("commands/nodetx/big.go: %d lines, at most %d in commands/", maxUseCaseLines+1, maxUseCaseLines),
		fmt.Sprintf("schema.Set has %d methods, at most %d: split it by role", maxMethods+1, maxMethods),
	}
	if !slices.Equal(got, want) {
		t.Errorf("checkShape reported:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// checkShape reports the files of commands/ over maxUseCaseLines and the types with more than
// maxMethods methods.
func checkShape(files []sourceFile) []string {
	var out []string
	methods := map[string]int{} // package dir + "." + type → count
	for _, f := range files {
		dir := path.Dir(f.path)
		if lines := strings.Count(string(f.src), "\n"); (dir == "commands" || strings.HasPrefix(dir, "commands/")) && lines > maxUseCaseLines {
			out = append(out, fmt.Sprintf("%s: %d lines, at most %d in commands/", f.path, lines, maxUseCaseLines))
		}
		parsed, err := parser.ParseFile(token.NewFileSet(), f.path, f.src, parser.SkipObjectResolution)
		if err != nil {
			out = append(out, fmt.Sprintf("%s: cannot parse: %v", f.path, err))
			continue
		}
		for _, d := range parsed.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Recv == nil || len(fd.Recv.List) == 0 {
				continue
			}
			methods[dir+"."+receiverType(fd.Recv.List[0].Type)]++
		}
	}
	for typ, n := range methods {
		if n > maxMethods {
			out = append(out, fmt.Sprintf("%s has %d methods, at most %d: split it by role", typ, n, maxMethods))
		}
	}
	slices.Sort(out)
	return out
}

// receiverType is the name of a receiver's type: T, *T, T[K], *T[K].
func receiverType(e ast.Expr) string {
	switch x := e.(type) {
	case *ast.StarExpr:
		return receiverType(x.X)
	case *ast.IndexExpr:
		return receiverType(x.X)
	case *ast.IndexListExpr:
		return receiverType(x.X)
	case *ast.Ident:
		return x.Name
	}
	return "?"
}

// checkAssembly reports composite literals of the components of package commands outside cmd/
// and commands/ (see TestNoHandAssembly).
func checkAssembly(module string, files []sourceFile) []string {
	components := commandComponents(files)
	var out []string
	for _, f := range files {
		dir := path.Dir(f.path)
		top, _, _ := strings.Cut(dir, "/")
		if top == "cmd" || dir == "commands" {
			continue
		}
		fset := token.NewFileSet()
		parsed, err := parser.ParseFile(fset, f.path, f.src, parser.SkipObjectResolution)
		if err != nil {
			continue // TestLayers reports it
		}
		local := ""
		for _, spec := range parsed.Imports {
			if p, _ := strconv.Unquote(spec.Path.Value); p == module+"/commands" {
				local = "commands"
				if spec.Name != nil {
					local = spec.Name.Name
				}
			}
		}
		if local == "" {
			continue
		}
		ast.Inspect(parsed, func(n ast.Node) bool {
			lit, ok := n.(*ast.CompositeLit)
			if !ok || lit.Type == nil {
				return true
			}
			typ := lit.Type
			switch x := typ.(type) { // a slice or map of components holds literals of them
			case *ast.ArrayType:
				typ = x.Elt
			case *ast.MapType:
				typ = x.Value
			}
			if star, ok := typ.(*ast.StarExpr); ok {
				typ = star.X
			}
			sel, ok := typ.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			if x, ok := sel.X.(*ast.Ident); ok && x.Name == local && components[sel.Sel.Name] {
				out = append(out, fmt.Sprintf("%s:%d: composite literal of commands.%s", f.path, fset.Position(lit.Pos()).Line, sel.Sel.Name))
			}
			return true
		})
	}
	slices.Sort(out)
	return out
}

// commandComponents finds the component types of package commands (non-test files of commands/).
func commandComponents(files []sourceFile) map[string]bool {
	wiring := map[string]bool{} // interface and func types declared in the package
	var structs []*ast.TypeSpec
	for _, f := range files {
		if path.Dir(f.path) != "commands" || strings.HasSuffix(f.path, "_test.go") {
			continue
		}
		parsed, err := parser.ParseFile(token.NewFileSet(), f.path, f.src, parser.SkipObjectResolution)
		if err != nil {
			continue
		}
		ast.Inspect(parsed, func(n ast.Node) bool {
			ts, ok := n.(*ast.TypeSpec)
			if !ok {
				return true
			}
			switch ts.Type.(type) {
			case *ast.InterfaceType, *ast.FuncType:
				wiring[ts.Name.Name] = true
			case *ast.StructType:
				structs = append(structs, ts)
			}
			return false
		})
	}
	out := map[string]bool{}
	for _, ts := range structs {
		if !ts.Name.IsExported() || ts.Name.Name == "Config" {
			continue
		}
		for _, field := range ts.Type.(*ast.StructType).Fields.List {
			unexported := slices.ContainsFunc(field.Names, func(n *ast.Ident) bool { return !n.IsExported() })
			if unexported || isWiring(field.Type, wiring) {
				out[ts.Name.Name] = true
				break
			}
		}
	}
	return out
}

func isWiring(e ast.Expr, wiring map[string]bool) bool {
	switch x := e.(type) {
	case *ast.StarExpr:
		return isWiring(x.X, wiring)
	case *ast.Ident:
		return wiring[x.Name]
	case *ast.FuncType, *ast.InterfaceType:
		return true
	}
	return false
}

// walkAll is walkModule with the _test.go files.
func walkAll(root string) ([]sourceFile, error) {
	var files []sourceFile
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			name := d.Name()
			if rel != "." && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata" ||
				name == "vendor" || (!strings.Contains(rel, "/") && slices.Contains(ignoredFolders, rel))) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(rel, ".go") {
			return nil
		}
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		files = append(files, sourceFile{path: rel, src: src})
		return nil
	})
	return files, err
}
