package graphql

import (
	"testing"

	"github.com/infrahub-go/infrahub/internal/testenv"
)

// The cache drops the least recently used schema, not the oldest built.
func TestSchemasEvictLeastRecentlyUsed(t *testing.T) {
	c := Schemas{Max: 2}
	a := builtin(t)
	b := loadSchema(t, testenv.Corpus(t, "infrahub-sdk-python", "tests/fixtures/models/valid_model_01.json"))
	d := loadSchema(t, testenv.Corpus(t, "infrahub-sdk-python", "tests/fixtures/models/valid_generic_schema.json"))
	sa, _ := c.Get(a)
	sb, _ := c.Get(b)
	if again, _ := c.Get(a); again != sa { // a is now the most recent
		t.Fatal("a was rebuilt")
	}
	if _, err := c.Get(d); err != nil { // drops b
		t.Fatal(err)
	}
	if c.Len() != 2 {
		t.Fatalf("%d schemas held, at most 2", c.Len())
	}
	if again, _ := c.Get(a); again != sa {
		t.Error("the most recently used schema was dropped")
	}
	if again, _ := c.Get(b); again == sb {
		t.Error("the least recently used schema was kept")
	}
	// the checked schema is the one queries get
	if err := c.Check(d); err != nil {
		t.Fatal(err)
	}
	sd, _ := c.Get(d)
	if err := c.Check(d); err != nil {
		t.Fatal(err)
	}
	if again, _ := c.Get(d); again != sd {
		t.Error("Check rebuilt the schema")
	}
}
