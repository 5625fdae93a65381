package commands_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/infrahub-go/infrahub/commands"
	"github.com/infrahub-go/infrahub/events"
)

// Node commands sent together on one branch are decided and appended in turns of several (group
// commit): each keeps its own answer, refusal and command id. Pairs of commands claim the same
// unique name: one of each pair is written, the other refused, and the refusal touches no other
// command. Every written event carries its own command's id, every retry answers its first
// result, and what was written reads back.
func TestGroupedCommandsKeepTheirOwnOutcome(t *testing.T) {
	f := newNodeFixture(t)
	const pairs, loners = 12, 24
	type sent struct {
		id, name string
		res      commands.Result
		err      error
	}
	var all []*sent
	for i := range pairs {
		for k := range 2 {
			all = append(all, &sent{id: fmt.Sprintf("pair-%d-%d", i, k), name: fmt.Sprintf("pair-%d", i)})
		}
	}
	for i := range loners {
		id := fmt.Sprintf("loner-%d", i)
		if i%2 == 1 {
			id = "" // commands without an id share one append
		}
		all = append(all, &sent{id: id, name: fmt.Sprintf("loner-%d", i)})
	}
	dispatch := func(s *sent) (commands.Result, error) {
		return f.app.Dispatch(context.Background(), commands.Command{Type: commands.TypeCreateNode, ID: s.id,
			Payload: json.RawMessage(fmt.Sprintf(`{"kind":"TestTag","data":{"name":%q}}`, s.name))})
	}
	var wg sync.WaitGroup
	for _, s := range all {
		wg.Go(func() { s.res, s.err = dispatch(s) })
	}
	wg.Wait()
	written := map[string]*sent{} // name → the command that wrote it
	for _, s := range all {
		var conflict *commands.UniquenessError
		switch {
		case s.err == nil:
			if written[s.name] != nil {
				t.Fatalf("%s and %s both wrote %s", written[s.name].id, s.id, s.name)
			}
			written[s.name] = s
			if len(s.res.Positions) == 0 || s.res.CommandID != s.id {
				t.Fatalf("%s: answer %+v", s.id, s.res)
			}
		case errors.As(s.err, &conflict) && s.name[:4] == "pair":
		default:
			t.Fatalf("%s (%s): %v", s.id, s.name, s.err)
		}
	}
	if len(written) != pairs+loners {
		t.Fatalf("%d names written, want %d", len(written), pairs+loners)
	}
	if n := len(f.view(t, "main").Nodes("TestTag")); n != pairs+loners {
		t.Fatalf("%d tags, want %d", n, pairs+loners)
	}
	// Each event is its own command's, at the position its command answered.
	evs, err := f.log.ReadAll(context.Background(), 0, 100_000)
	if err != nil {
		t.Fatal(err)
	}
	byPos := map[events.Position]events.Envelope{}
	for _, e := range evs {
		byPos[e.GlobalPosition] = e
	}
	for _, s := range written {
		for _, p := range s.res.Positions {
			e, ok := byPos[p]
			if !ok || e.Metadata.CommandID != s.id || !bytes.Contains(e.Payload, []byte(`"`+s.name+`"`)) {
				t.Fatalf("%s: position %d holds %s command %q %s", s.id, p, e.Type, e.Metadata.CommandID, e.Payload)
			}
		}
	}
	// A retry answers the first result; the refused commands left no record and are refused again.
	for _, s := range all {
		if s.id == "" {
			continue
		}
		again, err := dispatch(s)
		if s.err == nil {
			if err != nil || !again.Duplicate || answerOf(t, again) != answerOf(t, s.res) {
				t.Fatalf("retry of %s: %v %+v, first %+v", s.id, err, again, s.res)
			}
			continue
		}
		var conflict *commands.UniquenessError
		if !errors.As(err, &conflict) {
			t.Fatalf("retry of refused %s: %v", s.id, err)
		}
	}
}
