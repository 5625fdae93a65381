package commands_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"

	"github.com/infrahub-go/infrahub/authz"
	"github.com/infrahub-go/infrahub/commands"
)

// Every event of a command is recorded for the account the request acts for (its id in the
// events' metadata); the server's own work (no identity) records none.
func TestEventsRecordTheActor(t *testing.T) {
	f := newNodeFixture(t)
	as := map[string]*authz.Identity{
		"by-alice":  {AccountID: "acc-1", Name: "alice", AccountType: "User", Permissions: authz.System.Permissions},
		"by-nobody": nil,
	}
	for name, id := range as {
		payload, _ := json.Marshal(map[string]any{"kind": "TestDevice", "data": map[string]any{"name": name}})
		ctx := context.Background()
		if id != nil {
			ctx = authz.With(ctx, id)
		}
		if _, err := f.app.Dispatch(ctx, commands.Command{Type: commands.TypeCreateNode, Payload: payload}); err != nil {
			t.Fatal(err)
		}
	}
	evs, err := f.log.ReadAll(context.Background(), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, e := range evs {
		switch {
		case e.Type != "node.created":
		case strings.Contains(string(e.Payload), `"by-alice"`):
			found++
			if e.Metadata.Actor != "acc-1" {
				t.Errorf("alice's node.created has actor %q", e.Metadata.Actor)
			}
		case strings.Contains(string(e.Payload), `"by-nobody"`):
			found++
			if e.Metadata.Actor != "" {
				t.Errorf("the server's node.created has actor %q", e.Metadata.Actor)
			}
		}
	}
	if found != 2 {
		t.Fatalf("found %d of the 2 node.created events", found)
	}
}

// With a HashKey, the hash kept for a command's idempotency is keyed: a clear password in its
// payload cannot be found again by hashing guesses, and the same command still matches its retry.
func TestCommandHashIsKeyed(t *testing.T) {
	log, store, _, fold := newApp(t)
	app, err := commands.New(commands.Config{Log: log, Catalogue: store.Catalogue(), State: store, WaitFor: fold.WaitFor,
		HashKey: []byte("0123456789abcdef0123456789abcdef")})
	if err != nil {
		t.Fatal(err)
	}
	payload := json.RawMessage(`{"name": "keyed"}`)
	cmd := commands.Command{Type: commands.TypeCreateBranch, ID: "keyed-1", Payload: payload}
	first, err := app.Dispatch(context.Background(), cmd)
	if err != nil {
		t.Fatal(err)
	}
	rec, found, err := log.Command(context.Background(), "keyed-1")
	if err != nil || !found {
		t.Fatalf("record: %v %v", found, err)
	}
	plain := sha256.Sum256([]byte(commands.TypeCreateBranch + "\x00" + `{"name":"keyed"}`))
	if rec.Hash == "" || rec.Hash == hex.EncodeToString(plain[:]) {
		t.Fatalf("the kept hash is the plain SHA-256 of the payload: %s", rec.Hash)
	}
	again, err := app.Dispatch(context.Background(), cmd)
	if err != nil || !again.Duplicate || again.StreamVersion != first.StreamVersion {
		t.Fatalf("retry: %+v %v", again, err)
	}
}
