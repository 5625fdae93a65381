package objectfile

import (
	"reflect"
	"strings"
	"testing"

	"github.com/infrahub-go/infrahub/internal/testenv"
)

func TestMenusResolve(t *testing.T) {
	_, _, set := catalog(t)
	tests := []struct {
		name, path string
		top        int // top-level menu items
	}{
		{"service catalog", testenv.Corpus(t, "infrahub-demo-service-catalog", "menu.yml"), 0},
		{"sdk valid menu", testenv.Corpus(t, "infrahub-sdk-python", "tests", "fixtures", "menus", "valid_menu.yml"), 1},
		{"models base menu", testenv.Corpus(t, "infrahub-models", "base_menu.yml"), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			objs := loadFile(t, set, tt.path, tt.name)
			if tt.top > 0 && len(objs) != tt.top {
				t.Fatalf("%d top-level items, want %d", len(objs), tt.top)
			}
			for _, o := range objs {
				if o.Kind != MenuItemKind {
					t.Fatalf("kind %s, want %s", o.Kind, MenuItemKind)
				}
				for _, c := range o.Children {
					if c.Kind != MenuItemKind || *c.Link != (Link{Relationship: "children", Back: "parent"}) {
						t.Fatalf("child %s link %+v", c.Kind, c.Link)
					}
					want := []Ref{{Kind: MenuItemKind, HFID: []string{o.Attributes["namespace"].(string), o.Attributes["name"].(string)}, Enclosing: true}}
					if !reflect.DeepEqual(c.Relationships["parent"], want) {
						t.Fatalf("child parent = %+v, want %+v", c.Relationships["parent"], want)
					}
				}
			}
		})
	}
}

// The SDK's known-bad menus: a typo in a field name, and broken YAML.
func TestInvalidSDKMenus(t *testing.T) {
	_, _, set := catalog(t)
	tests := []struct{ file, want string }{
		{"invalid_menu.yml", `invalid_menu.yml:6: document 1, item 1, field "nampace": unknown attribute or relationship of CoreMenuItem (did you mean "namespace"?)`},
		{"invalid_yaml.yml", "invalid_yaml.yml:4: document 1: invalid YAML: did not find expected key"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := testenv.Corpus(t, "infrahub-sdk-python", "tests", "fixtures", "menus", tt.file)
			_, err := load(set, tt.file, mustRead(t, path))
			if err == nil {
				t.Fatal("no error")
			}
			if got := problems(t, err); !reflect.DeepEqual(got, []string{tt.want}) {
				t.Fatalf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), tt.want)
			}
		})
	}
}

// The location hierarchy: children are created after their parent, with parent filled in.
func TestServiceCatalogHierarchy(t *testing.T) {
	root, _, set := catalog(t)
	objs := loadFile(t, set, root+"/data/01_location.yml", "data/01_location.yml")
	france := objs[0]
	if france.Kind != "LocationCountry" || france.Attributes["name"] != "France" || len(france.Children) != 1 {
		t.Fatalf("first object = %+v", france)
	}
	paris := france.Children[0]
	if paris.Kind != "LocationMetro" || *paris.Link != (Link{Relationship: "children", Back: "parent"}) {
		t.Fatalf("Paris = %s link %+v", paris.Kind, paris.Link)
	}
	parent := paris.Relationships["parent"]
	if len(parent) != 1 || !parent[0].Enclosing || parent[0].Kind != "LocationCountry" {
		t.Fatalf("Paris parent = %+v", parent)
	}
	site := paris.Children[0]
	if site.Kind != "LocationSite" || site.Attributes["shortname"] != "par01" || site.Source.Path != `field "children", item 1, field "children", item 1` {
		t.Fatalf("site = %+v", site)
	}
}
