package postgres_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/infrahub-go/infrahub/events"
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

// Concurrent appends share calls (group commit), and every append is answered on its own.
func TestGroupCommit(t *testing.T) {
	s := open(t)
	defer s.Close()
	const writers, each = 16, 40
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				res, err := s.Append(context.Background(), events.StreamID(fmt.Sprintf("g/%d", w)), int64(i), ev("x"))
				if err != nil || res.StreamVersion != int64(i+1) {
					t.Errorf("writer %d append %d: %+v, %v", w, i, res, err)
					return
				}
			}
		}(w)
	}
	wg.Wait()
	st := s.CommitStats()
	if st.Appends != writers*each {
		t.Fatalf("calls carried %d appends, want %d", st.Appends, writers*each)
	}
	if st.Calls >= st.Appends {
		t.Fatalf("%d calls for %d appends: concurrent appends were never grouped", st.Calls, st.Appends)
	}
	t.Logf("%d appends in %d calls", st.Appends, st.Calls)
}
