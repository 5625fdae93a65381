package commands_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"

	"github.com/infrahub-go/infrahub/commands"
)

func TestBranchLifecycle(t *testing.T) {
	f := newSchemaFixture(t)
	if _, err := f.load(t, "", widget); err != nil {
		t.Fatal(err)
	}
	res, err := f.createBranch(t, "feature/vlan-42")
	if err != nil || len(res.Positions) != 1 {
		t.Fatalf("create: %+v, %v", res, err)
	}
	info, ok := f.state.Branch("feature/vlan-42")
	if !ok || info.BranchedFrom != 1 || info.IsDefault || info.Status != "OPEN" || info.OriginBranch != "main" {
		t.Fatalf("branch info %+v", info)
	}
	if _, err := f.createBranch(t, "feature/vlan-42"); !errors.Is(err, commands.ErrConflict) {
		t.Fatalf("second create: %v", err)
	}
	// main changes after the branch was made are not seen by the branch.
	if _, err := f.load(t, "main", gadget); err != nil {
		t.Fatal(err)
	}
	onBranch, _ := f.state.Schema("feature/vlan-42")
	onMain, _ := f.state.Schema("main")
	if _, ok := onBranch.Node("TestGadget"); ok {
		t.Fatal("the branch sees a schema change made on main after its base")
	}
	if _, ok := onBranch.Node("TestWidget"); !ok {
		t.Fatal("the branch does not see main's schema as of its base")
	}
	if _, ok := onMain.Node("TestGadget"); !ok {
		t.Fatal("main lost its own load")
	}

	del := func(name string) error {
		payload, _ := json.Marshal(commands.DeleteBranch{Name: name})
		_, err := f.app.Dispatch(context.Background(), commands.Command{Type: commands.TypeDeleteBranch, Payload: payload})
		if err == nil {
			err = f.sync(context.Background())
		}
		return err
	}
	if err := del("main"); !errors.Is(err, commands.ErrInvalid) {
		t.Fatalf("deleting main: %v", err)
	}
	if err := del("nope"); !errors.Is(err, commands.ErrNotFound) {
		t.Fatalf("deleting a missing branch: %v", err)
	}
	if err := del("feature/vlan-42"); err != nil {
		t.Fatal(err)
	}
	if _, ok := f.state.Branch("feature/vlan-42"); ok {
		t.Fatal("the deleted branch is still listed")
	}
	if _, err := f.load(t, "feature/vlan-42", gadget); !errors.Is(err, commands.ErrNotFound) {
		t.Fatalf("load on a deleted branch: %v", err)
	}
}

func TestBranchCreateRefusesBadNames(t *testing.T) {
	f := newSchemaFixture(t)
	for _, name := range []string{"", "has space", "a..b", "/lead", "trail/", "x.lock", "a//b", "dot.", "@", "-global-", "q?", "col:on", ".hidden"} {
		if _, err := f.createBranch(t, name); !errors.Is(err, commands.ErrInvalid) {
			t.Errorf("name %q: err = %v, want ErrInvalid", name, err)
		}
	}
	if len(f.state.Branches()) != 1 {
		t.Fatalf("refused names created branches: %+v", f.state.Branches())
	}
	if _, err := f.app.Dispatch(context.Background(), commands.Command{Type: commands.TypeCreateBranch, Payload: json.RawMessage(`{"name":"ok","colour":1}`)}); !errors.Is(err, commands.ErrInvalid) {
		t.Fatalf("unknown field: %v", err)
	}
}

// Sixteen concurrent creates of one name: exactly one wins, the others are told it exists.
func TestBranchCreateConcurrent(t *testing.T) {
	f := newSchemaFixture(t)
	const n = 16
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			payload, _ := json.Marshal(commands.CreateBranch{Name: "race"})
			_, errs[i] = f.app.Dispatch(context.Background(), commands.Command{Type: commands.TypeCreateBranch, Payload: payload})
		}(i)
	}
	wg.Wait()
	wins := 0
	for _, err := range errs {
		switch {
		case err == nil:
			wins++
		case errors.Is(err, commands.ErrConflict):
		default:
			t.Errorf("unexpected error: %v", err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d creates succeeded, want 1", wins)
	}
	_ = f.sync(context.Background())
	if len(f.state.Branches()) != 2 {
		t.Fatalf("branches: %+v", f.state.Branches())
	}
}
