package graphql_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/infrahub-go/infrahub/queries/graphql"
)

var update = flag.Bool("update", false, "rewrite the golden answers")

var (
	uuidRE = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	idRE   = regexp.MustCompile(`__ID_([A-Za-z]+)_([\w-]+)__`)
	timeRE = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$`)
)

// normalize rewrites a JSON answer keeping its key order (the order of the selections), with ids
// replaced by <id-N> (numbered in order of first appearance) and times by <time>, so that golden
// answers do not depend on the run.
func normalize(raw []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	ids := map[string]string{}
	var out bytes.Buffer
	indent := 0
	type frame struct {
		object bool
		n      int // values written (objects: keys)
		key    bool
	}
	var stack []frame
	newline := func() {
		out.WriteByte('\n')
		out.WriteString(strings.Repeat("  ", indent))
	}
	before := func() {
		if len(stack) == 0 {
			return
		}
		top := &stack[len(stack)-1]
		if top.object && top.key { // a value after its key
			top.key = false
			return
		}
		if top.n > 0 {
			out.WriteByte(',')
		}
		top.n++
		newline()
		if top.object {
			top.key = true
		}
	}
	for {
		tok, err := dec.Token()
		if err != nil {
			if err.Error() == "EOF" {
				break
			}
			return nil, err
		}
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{', '[':
				before()
				out.WriteByte(byte(v))
				stack = append(stack, frame{object: v == '{'})
				indent++
			default:
				top := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				indent--
				if top.n > 0 {
					newline()
				}
				out.WriteByte(byte(v))
			}
		case string:
			top := len(stack) > 0 && stack[len(stack)-1].object && !stack[len(stack)-1].key
			before()
			if top { // an object key
				b, _ := json.Marshal(v)
				out.Write(b)
				out.WriteString(": ")
				continue
			}
			v = uuidRE.ReplaceAllStringFunc(v, func(id string) string {
				if _, ok := ids[id]; !ok {
					ids[id] = fmt.Sprintf("<id-%d>", len(ids)+1)
				}
				return ids[id]
			})
			if timeRE.MatchString(v) {
				v = "<time>"
			}
			b, _ := json.Marshal(v)
			out.Write(b)
		default:
			before()
			b, _ := json.Marshal(v)
			out.Write(b)
		}
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}

// header reads the `# key: value` lines at the top of a golden document.
func header(doc string) map[string]string {
	out := map[string]string{}
	for _, line := range strings.Split(doc, "\n") {
		rest, ok := strings.CutPrefix(line, "# ")
		if !ok {
			break
		}
		if k, v, ok := strings.Cut(rest, ": "); ok {
			out[k] = v
		}
	}
	return out
}

// Every document under testdata/golden runs, in file order, on the fixture's dataset (mutations
// change it for the documents after them); the normalised answer must equal the reviewed golden
// JSON beside it (go test ./queries/graphql -run Golden -update rewrites them).
func TestGoldenDocuments(t *testing.T) {
	f := newFixture(t, fixtureSchema)
	f.loadDataset(t)
	docs, err := filepath.Glob(filepath.Join("testdata", "golden", "*.graphql"))
	if err != nil || len(docs) < 25 {
		t.Fatalf("%d golden documents (%v), want at least 25", len(docs), err)
	}
	for _, path := range docs {
		name := strings.TrimSuffix(filepath.Base(path), ".graphql")
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		h := header(string(raw))
		// __ID_<Kind>_<hfid>__ stands for the id of that node.
		query := idRE.ReplaceAllStringFunc(string(raw), func(m string) string {
			parts := idRE.FindStringSubmatch(m)
			v, err := f.store.View("main", 0)
			if err != nil {
				t.Fatal(err)
			}
			id, ok := v.ByHFID(parts[1], []string{parts[2]})
			if !ok {
				t.Fatalf("%s: no %s %s", name, parts[1], parts[2])
			}
			return id.String()
		})
		req := graphql.Request{Query: query, Branch: h["branch"], OperationName: h["operation"]}
		if at := h["at"]; at != "" {
			req.At = f.positions[at]
			if req.At == 0 {
				t.Fatalf("%s: unknown moment %q", name, at)
			}
		}
		if vars := h["variables"]; vars != "" {
			if err := json.Unmarshal([]byte(vars), &req.Variables); err != nil {
				t.Fatalf("%s: variables: %v", name, err)
			}
		}
		resp := f.x.Execute(context.Background(), req)
		encoded, _ := json.Marshal(resp)
		got, err := normalize(encoded)
		if err != nil {
			t.Fatalf("%s: the answer is not JSON: %v\n%s", name, err, encoded)
		}
		golden := strings.TrimSuffix(path, ".graphql") + ".json"
		if *update {
			if err := os.WriteFile(golden, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%s: %v (go test ./queries/graphql -run Golden -update writes it)", name, err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: answer differs from %s:\n%s", name, golden, got)
		}
	}
}
