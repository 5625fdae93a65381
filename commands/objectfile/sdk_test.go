package objectfile

import (
	"path/filepath"
	"reflect"
	"testing"

	"github.com/infrahub-go/infrahub/internal/testenv"
	"github.com/infrahub-go/infrahub/schema"
)

func animalSchema(t testing.TB) *schema.Set {
	t.Helper()
	return loadSchema(t, filepath.Join("testdata", "animal_schema.yml"))
}

func TestSDKSpecObjectsResolve(t *testing.T) {
	set := animalSchema(t)
	dir := testenv.Corpus(t, "infrahub-sdk-python", "tests", "fixtures", "spec_objects")
	for _, name := range []string{"animal_dog01.yml", "animal_person01.yml", "animal_person02.yml", "animal_tags01.yml", "animal_tags02.yml"} {
		t.Run(name, func(t *testing.T) {
			if objs := loadFile(t, set, filepath.Join(dir, name), name); len(objs) == 0 {
				t.Fatal("no objects")
			}
		})
	}
}

// animal_person02.yml shows every value form in its comments; check what each one gives.
func TestSDKAnimalPerson02Forms(t *testing.T) {
	set := animalSchema(t)
	path := testenv.Corpus(t, "infrahub-sdk-python", "tests", "fixtures", "spec_objects", "animal_person02.yml")
	objs := loadFile(t, set, path, "animal_person02.yml")
	if len(objs) != 3 {
		t.Fatalf("got %d objects, want 3", len(objs))
	}
	owner := func(name string) []Ref {
		return []Ref{{Kind: "TestingPerson", HFID: []string{name}, Enclosing: true}}
	}
	type child struct {
		kind, name string
		link       Link
		rels       map[string][]Ref
	}
	tests := []struct {
		name     string
		rels     map[string][]Ref
		children []child
	}{
		{
			// tags: {data: [...]} without kind creates tags (the peer kind) before the person;
			// animals: {kind, data: [...]} creates dogs after it, their owner filled in.
			name: "Alex Thompson",
			rels: map[string][]Ref{},
			children: []child{
				{kind: "BuiltinTag", name: "Dog Lover", link: Link{Relationship: "tags"}, rels: map[string][]Ref{}},
				{kind: "TestingDog", name: "Max", link: Link{Relationship: "animals", Back: "owner"},
					rels: map[string][]Ref{"owner": owner("Alex Thompson")}},
			},
		},
		{
			// animals: a list of {kind, data: {...}}, one object each, of different kinds
			name: "Emily Parker",
			rels: map[string][]Ref{},
			children: []child{
				{kind: "TestingDog", name: "Max", link: Link{Relationship: "animals", Back: "owner"},
					rels: map[string][]Ref{"owner": owner("Emily Parker")}},
				{kind: "TestingCat", name: "Whiskers", link: Link{Relationship: "animals", Back: "owner"},
					rels: map[string][]Ref{"owner": owner("Emily Parker")}},
			},
		},
		{
			// best_friends: HFIDs as lists (two elements, the generic's HFID); tags: an HFID as a
			// string and as a one-element list
			name: "Mike Johnson",
			rels: map[string][]Ref{
				"best_friends": {
					{Kind: "TestingAnimal", HFID: []string{"Jane Smith", "Max"}},
					{Kind: "TestingAnimal", HFID: []string{"Sarah Williams", "Charlie"}},
				},
				"tags": {
					{Kind: "BuiltinTag", HFID: []string{"Veterinarian"}},
					{Kind: "BuiltinTag", HFID: []string{"Breeder"}},
				},
			},
		},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := objs[i]
			if o.Kind != "TestingPerson" || o.Attributes["name"] != tt.name || o.Link != nil {
				t.Fatalf("object %d = %s %v (link %v)", i, o.Kind, o.Attributes, o.Link)
			}
			if !reflect.DeepEqual(o.Relationships, tt.rels) {
				t.Errorf("relationships = %+v, want %+v", o.Relationships, tt.rels)
			}
			if len(o.Children) != len(tt.children) {
				t.Fatalf("%d children, want %d", len(o.Children), len(tt.children))
			}
			for j, want := range tt.children {
				c := o.Children[j]
				if c.Kind != want.kind || c.Attributes["name"] != want.name || c.Link == nil || *c.Link != want.link {
					t.Errorf("child %d = %s %v link %+v, want %s %s %+v", j, c.Kind, c.Attributes["name"], c.Link, want.kind, want.name, want.link)
				}
				if !reflect.DeepEqual(c.Relationships, want.rels) {
					t.Errorf("child %d relationships = %+v, want %+v", j, c.Relationships, want.rels)
				}
				if c.Source.Item != i+1 || c.Source.Path == "" {
					t.Errorf("child %d source = %+v", j, c.Source)
				}
			}
		})
	}
	if w := objs[1].Children[0].Attributes["weight"]; w != 25 {
		t.Errorf("weight = %#v, want 25 as written", w)
	}
}

// animal_dog01.yml: an owner as a string, as a one-element list, and as a mapping {data: {...}}
// that creates the person before the dog.
func TestSDKAnimalDog01Owner(t *testing.T) {
	set := animalSchema(t)
	path := testenv.Corpus(t, "infrahub-sdk-python", "tests", "fixtures", "spec_objects", "animal_dog01.yml")
	objs := loadFile(t, set, path, "animal_dog01.yml")
	want := [][]string{{"Jane Smith"}, {"Mike Johnson"}, {"Sarah Williams"}}
	for i, hfid := range want {
		if got := objs[i].Relationships["owner"]; !reflect.DeepEqual(got, []Ref{{Kind: "TestingPerson", HFID: hfid}}) {
			t.Errorf("dog %d owner = %+v", i+1, got)
		}
	}
	bella := objs[3]
	if _, ok := bella.Relationships["owner"]; ok || len(bella.Children) != 1 {
		t.Fatalf("Bella = %+v", bella)
	}
	bill := bella.Children[0]
	if bill.Kind != "TestingPerson" || *bill.Link != (Link{Relationship: "owner"}) || bill.Attributes["name"] != "Bill Smith" {
		t.Fatalf("Bill = %+v", bill)
	}
	if got := bill.Relationships["tags"]; !reflect.DeepEqual(got, []Ref{{Kind: "BuiltinTag", HFID: []string{"Pet Groomer"}}}) {
		t.Errorf("Bill's tags = %+v", got)
	}
}
