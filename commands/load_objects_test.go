package commands_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/infrahub-go/infrahub/commands"
	"github.com/infrahub-go/infrahub/commands/objectfile"
	"github.com/infrahub-go/infrahub/internal/testenv"
	"github.com/infrahub-go/infrahub/limits"
)

// catalogFiles are the service catalog's object files that use no profile, template or pool.
var catalogFiles = []string{"01_location.yml", "02_groups_tags.yml", "03_ipam_domain.yml", "04_manufacturer.yml", "04_provider.yml", "06_device_type.yml"}

func loadCatalogSchema(t *testing.T, f *nodeFixture) string {
	t.Helper()
	root := testenv.Corpus(t, "infrahub-demo-service-catalog")
	in := commands.LoadSchema{}
	for _, dir := range []string{"base", "location_minimal", "vlan", "service"} {
		paths, _ := filepath.Glob(filepath.Join(root, "schemas", dir, "*.yml"))
		for _, p := range paths {
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := json.Marshal(string(data))
			in.Schemas = append(in.Schemas, raw)
			in.Names = append(in.Names, p)
		}
	}
	f.run(t, commands.TypeLoadSchema, in)
	return root
}

// The service catalog's plain object files load; the counts per kind equal the objects the
// files hold (nested ones included); a second load changes nothing.
func TestLoadServiceCatalogObjects(t *testing.T) {
	f := newNodeFixture(t)
	root := loadCatalogSchema(t, f)
	v := f.view(t, "main")
	want := map[string]int{}
	var files []commands.ObjectFile
	for _, name := range catalogFiles {
		p := filepath.Join(root, "data", name)
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		docs, err := objectfile.ParseFile(context.Background(), name, data, limits.Default())
		if err != nil {
			t.Fatal(err)
		}
		objs, _, err := objectfile.Resolve(context.Background(), v.Schema, docs, limits.Default())
		if err != nil {
			t.Fatal(err)
		}
		var walk func([]objectfile.Object)
		walk = func(os []objectfile.Object) {
			for _, o := range os {
				want[o.Kind]++
				walk(o.Children)
			}
		}
		walk(objs)
		files = append(files, commands.ObjectFile{Name: name, Content: string(data)})
	}
	for _, fl := range files {
		res := f.run(t, commands.TypeLoadObjects, commands.LoadObjects{Files: []commands.ObjectFile{fl}})
		if len(res.Positions) == 0 {
			t.Errorf("%s wrote nothing", fl.Name)
		}
	}
	v = f.view(t, "main")
	for kind, n := range want {
		if got := v.Count(kind); got != int64(n) {
			t.Errorf("%s: %d stored, the files hold %d", kind, got, n)
		}
	}
	before := dump(t, v)
	res := f.run(t, commands.TypeLoadObjects, commands.LoadObjects{Files: files})
	out := res.Data.(commands.ObjectsOutcome)
	if len(res.Positions) != 0 {
		t.Errorf("the second load wrote %d events", len(res.Positions))
	}
	for kind, n := range want {
		o := out.Kinds[kind]
		if o == nil || o.Unchanged != n || o.Created+o.Updated != 0 {
			t.Errorf("%s on the second load: %+v, want %d unchanged", kind, o, n)
		}
	}
	if after := dump(t, f.view(t, "main")); !equalDumps(before, after) {
		t.Error("the second load changed data")
	}
}

// A file with one bad object stores nothing of the file, and the error names file, document,
// item and field.
func TestLoadObjectsAtomicPerFile(t *testing.T) {
	f := newNodeFixture(t)
	const file = `---
apiVersion: infrahub.app/v1
kind: Object
spec:
  kind: TestTag
  data:
    - name: good
    - name: also-good
---
apiVersion: infrahub.app/v1
kind: Object
spec:
  kind: TestDevice
  data:
    - name: r1
      role: spine
`
	_, err := f.try(t, commands.TypeLoadObjects, commands.LoadObjects{Files: []commands.ObjectFile{{Name: "bad.yml", Content: file}}})
	if err == nil {
		t.Fatal("bad file loaded")
	}
	for _, want := range []string{"bad.yml:15", "document 2", "item 1", `field "role"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
	if n := f.view(t, "main").Count("TestTag"); n != 0 {
		t.Errorf("%d tags of the failed file were stored", n)
	}
}
