package graphql

import (
	"os"
	"testing"

	"github.com/infrahub-go/infrahub/branch"
)

func TestQuick(t *testing.T) {
	set, err := branch.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	src := buildSDL(set)
	os.WriteFile("/tmp/core.graphql", []byte(src), 0o644)
	if _, err := Build(set); err != nil {
		t.Fatal(err)
	}
}
