package postgres_test

import (
	"context"
	"testing"

	"github.com/infrahub-go/infrahub/events/eventstoretest"
	"github.com/infrahub-go/infrahub/events/postgres"
	"github.com/infrahub-go/infrahub/internal/testenv"
)

func open(t testing.TB) *postgres.Store {
	t.Helper()
	raw, schema := testenv.PostgresSchema(t)
	s, err := postgres.Open(context.Background(), postgres.Config{URL: raw, Schema: schema}, nil)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	return s
}

func TestContract(t *testing.T) {
	eventstoretest.Run(t, func(t *testing.T) eventstoretest.Subject { return open(t) })
}

func TestConfigValidate(t *testing.T) {
	for name, c := range map[string]postgres.Config{
		"empty url":  {},
		"bad schema": {URL: "postgres://x/y", Schema: "Drop Table"},
	} {
		if err := c.Validate(); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestReopenKeepsLogAndMigratesOnce(t *testing.T) {
	raw, schema := testenv.PostgresSchema(t)
	ctx := context.Background()
	s, err := postgres.Open(ctx, postgres.Config{URL: raw, Schema: schema}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(ctx, "a", 0, ev("x"), ev("y")); err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	s, err = postgres.Open(ctx, postgres.Config{URL: raw, Schema: schema}, nil)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	res, err := s.Append(ctx, "a", 2, ev("z"))
	if err != nil || res.StreamVersion != 3 {
		t.Fatalf("append after reopen: %+v, %v", res, err)
	}
}
