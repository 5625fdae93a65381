package limits_test

import (
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/infrahub-go/infrahub/fault"
	"github.com/infrahub-go/infrahub/limits"
)

func TestDefaultIsValid(t *testing.T) {
	if err := limits.Default().Validate(); err != nil {
		t.Fatal(err)
	}
	l := limits.Default()
	l.QueryCost, l.RequestTimeout = 0, -1
	err := l.Validate()
	if err == nil || !strings.Contains(err.Error(), "QueryCost") || !strings.Contains(err.Error(), "RequestTimeout") {
		t.Fatalf("Validate = %v", err)
	}
}

func TestExceeded(t *testing.T) {
	err := limits.Exceeded("the value of name", 70000, 65536, "INFRAHUB_MAX_VALUE_BYTES")
	if !errors.Is(err, fault.ErrTooLarge) || fault.Classify(err).Status != http.StatusRequestEntityTooLarge ||
		fault.Classify(err).Code != "limit_exceeded" || !strings.Contains(err.Error(), "INFRAHUB_MAX_VALUE_BYTES") {
		t.Fatalf("%v %+v", err, fault.Classify(err))
	}
}

// The README's Limits section lists every limit's variable.
func TestREADMEListsEveryLimit(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	typ := reflect.TypeOf(limits.Limits{})
	for i := 0; i < typ.NumField(); i++ {
		name, _, _ := strings.Cut(typ.Field(i).Tag.Get("env"), ",")
		if !strings.Contains(string(raw), "`"+name+"`") {
			t.Errorf("README's Limits section lacks %s", name)
		}
		if limits.Setting(typ.Field(i).Name) != name {
			t.Errorf("Setting(%s) = %q", typ.Field(i).Name, limits.Setting(typ.Field(i).Name))
		}
	}
}
