package objectfile

import (
	"reflect"
	"strings"
	"testing"
)

func TestExpandRange(t *testing.T) {
	tests := []struct {
		in   string
		want []string
		err  string
	}{
		{in: "Ethernet1", want: []string{"Ethernet1"}},
		{in: "Ethernet[1-3]", want: []string{"Ethernet1", "Ethernet2", "Ethernet3"}},
		{in: "ge-0/0/[0-3]", want: []string{"ge-0/0/0", "ge-0/0/1", "ge-0/0/2", "ge-0/0/3"}},
		{in: "port[a-c]", want: []string{"porta", "portb", "portc"}},
		{in: "eth[1,3,5-6]", want: []string{"eth1", "eth3", "eth5", "eth6"}},
		{in: "sw[01-03]", want: []string{"sw01", "sw02", "sw03"}},
		{in: "Eth[1-2]/[1-2]", want: []string{"Eth1/1", "Eth1/2", "Eth2/1", "Eth2/2"}},
		{in: "literal[abc]", want: []string{"literal[abc]"}},
		{in: "x[3-1]", err: `bad range "[3-1]": start 3 is after end 1`},
		{in: "x[c-a]", err: `bad range "[c-a]": start "c" is after end "a"`},
		{in: "x[1-b]", err: `bad range "[1-b]": "1-b" mixes numbers and letters or is not a single-letter range`},
		{in: "x[1-2-3]", err: `bad range "[1-2-3]": "1-2-3" is not a range`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := expandRange(tt.in)
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("error %v, want %s", err, tt.err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

// rangeCount answers what expandRange would give, without expanding, and never more than the
// bound plus one however many groups multiply.
func TestRangeCount(t *testing.T) {
	tests := []struct {
		in    string
		bound int
		want  int
		err   bool
	}{
		{"Ethernet1", 10, 1, false},
		{"Ethernet[1-3]", 10, 3, false},
		{"eth[1,3,5-6]", 10, 4, false},
		{"Eth[1-2]/[a-c]", 10, 6, false},
		{"sw[01-10]", 10, 10, false},
		{"sw[01-11]", 10, 11, false},
		{"t[0-99999]", 10_000, 10_001, false},
		{"t[0-9999999999999999]", 10_000, 10_001, false},
		{strings.Repeat("t[0-99]", 40), 10_000, 10_001, false},
		{"x[3-1]", 10, 0, true},
		{"x[1-b]", 10, 0, true},
	}
	for _, tt := range tests {
		got, err := rangeCount(tt.in, tt.bound)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("rangeCount(%q, %d) = %d, %v; want %d (error %v)", tt.in, tt.bound, got, err, tt.want, tt.err)
		}
		if err == nil && got <= tt.bound {
			if vals, _ := expandRange(tt.in); len(vals) != got {
				t.Errorf("rangeCount(%q) = %d but expandRange gives %d values", tt.in, got, len(vals))
			}
		}
	}
}

func TestExpandRangeInFiles(t *testing.T) {
	set := animalSchema(t)
	doc := func(expand, data string) string {
		return header + "spec:\n  kind: TestingDog\n  parameters:\n    expand_range: " + expand + "\n  data:\n" + data
	}
	type dog struct{ name, breed string }
	tests := []struct {
		name string
		yaml string
		want []dog
		// owners of the dogs, when checked
		owners [][]string
	}{
		{"off keeps the value literally", doc("false", "    - name: \"Dog[1-3]\"\n      breed: x\n"),
			[]dog{{"Dog[1-3]", "x"}}, nil},
		{"no parameters keeps it too", header + "spec:\n  kind: TestingDog\n  data:\n    - name: \"Dog[1-2]\"\n      breed: x\n",
			[]dog{{"Dog[1-2]", "x"}}, nil},
		{"on repeats the item", doc("true", "    - name: \"Dog[1-3]\"\n      breed: x\n"),
			[]dog{{"Dog1", "x"}, {"Dog2", "x"}, {"Dog3", "x"}}, nil},
		{"several ranges expand together", doc("true", "    - name: \"Dog[1-2]\"\n      breed: \"Breed[a-b]\"\n      owner: \"Owner[1-2]\"\n"),
			[]dog{{"Dog1", "Breeda"}, {"Dog2", "Breedb"}}, [][]string{{"Owner1"}, {"Owner2"}}},
		{"file order kept around expansions", doc("true", "    - name: A\n      breed: x\n    - name: \"B[1-2]\"\n      breed: y\n    - name: C\n      breed: z\n"),
			[]dog{{"A", "x"}, {"B1", "y"}, {"B2", "y"}, {"C", "z"}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			objs, err := load(set, "r.yml", []byte(tt.yaml))
			if err != nil {
				t.Fatal(err)
			}
			var got []dog
			for _, o := range objs {
				got = append(got, dog{o.Attributes["name"].(string), o.Attributes["breed"].(string)})
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for i, hfid := range tt.owners {
				if want := []Ref{{Kind: "TestingPerson", HFID: hfid}}; !reflect.DeepEqual(objs[i].Relationships["owner"], want) {
					t.Errorf("dog %d owner = %+v, want %+v", i, objs[i].Relationships["owner"], want)
				}
			}
		})
	}
}

// Nested data inherit the document's expand_range unless their own parameters say otherwise.
func TestExpandRangeNested(t *testing.T) {
	set := animalSchema(t)
	yml := header + "spec:\n  kind: TestingPerson\n  parameters:\n    expand_range: true\n  data:\n" +
		"    - name: \"P[1-2]\"\n      animals:\n        kind: TestingDog\n        data:\n          - name: \"D[1-3]\"\n            breed: x\n" +
		"      best_friends:\n        kind: TestingCat\n        parameters:\n          expand_range: false\n        data:\n          - name: \"C[1-3]\"\n            breed: y\n"
	objs, err := load(set, "n.yml", []byte(yml))
	if err != nil {
		t.Fatal(err)
	}
	got := countKinds(objs, nil)
	want := map[string]int{"TestingPerson": 2, "TestingDog": 6, "TestingCat": 2}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("counts %v, want %v", got, want)
	}
	if n := objs[1].Children[3].Attributes["name"]; n != "C[1-3]" {
		t.Fatalf("cat name %v, want it literal", n)
	}
	if p := objs[1].Children[0].Relationships["owner"]; len(p) != 1 || p[0].HFID[0] != "P2" {
		t.Fatalf("dog owner %+v, want P2", p)
	}
}

// infrahubctl expands the items of data lists only (infrahub_sdk/spec/object.py,
// create_related_nodes): the one object of a {kind?, data: {...}} block keeps its fields as
// written, and the data lists below it are expanded still.
func TestExpandRangeSingleObjectBlocks(t *testing.T) {
	set := animalSchema(t)
	yml := header + "spec:\n  kind: TestingPerson\n  parameters:\n    expand_range: true\n  data:\n" +
		"    - name: \"P[1-2]\"\n      animals:\n        - kind: TestingDog\n          data:\n            name: \"D[1-3]\"\n            breed: x\n" +
		"            best_friend:\n              data:\n                name: \"F[1-2]\"\n                tags:\n                  data:\n                    - name: \"t[1-3]\"\n"
	objs, err := load(set, "s.yml", []byte(yml))
	if err != nil {
		t.Fatal(err)
	}
	got := countKinds(objs, nil)
	want := map[string]int{"TestingPerson": 4, "TestingDog": 2, "BuiltinTag": 6}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("counts %v, want %v", got, want)
	}
	dog := objs[1].Children[0]
	friend := dog.Children[0]
	if dog.Attributes["name"] != "D[1-3]" || friend.Attributes["name"] != "F[1-2]" {
		t.Fatalf("dog %v and friend %v, want them literal", dog.Attributes["name"], friend.Attributes["name"])
	}
	if n := friend.Children[2].Attributes["name"]; n != "t3" {
		t.Fatalf("third tag %v, want t3", n)
	}
}
