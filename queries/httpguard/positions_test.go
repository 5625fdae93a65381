package httpguard_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/queries/httpguard"
)

// projection is a projection that has folded the log up to folded, and never goes further.
type projection struct{ folded events.Position }

func (p projection) WaitFor(ctx context.Context, pos events.Position) error {
	if pos <= p.folded {
		return nil
	}
	<-ctx.Done()
	return fmt.Errorf("waiting for %d: %w", pos, ctx.Err())
}

func TestPositions(t *testing.T) {
	const head, folded = 10, 7
	p := &httpguard.Positions{
		Head:    func(context.Context) (events.Position, error) { return head, nil },
		Wait:    projection{folded: folded},
		MaxWait: 100 * time.Millisecond,
	}
	h := p.Wrap(http.HandlerFunc(echo))
	cases := []struct {
		path    string
		status  int
		mention string
	}{
		{"/api/dump", 200, ""},
		{"/api/dump?min_position=7&at=3", 200, ""},
		{"/api/dump?at=2024-01-01T00:00:00Z", 200, ""}, // a time: the route resolves it
		{"/api/dump?at=-3", 200, ""},                   // the route refuses it in its own words
		{"/api/dump?min_position=11", 400, "parameter min_position: position 11 is beyond the log head 10"},
		{"/api/nodes/X?at=1000000", 400, "parameter at: position 1000000 is beyond the log head 10"},
		{"/graphql?at=11", 400, "parameter at: position 11 is beyond the log head 10"},
		{"/api/dump?min_position=x", 400, `is not a log position`},
		{"/api/dump?min_position=-1", 400, "parameter min_position"},
		{"/api/dump?min_position=9", 503, "waiting 100ms for position 9 (INFRAHUB_MIN_POSITION_WAIT)"},
		{"/api/dump?at=8", 503, "position 8"},
	}
	for _, c := range cases {
		start := time.Now()
		w := serve(h, "GET", c.path, nil, "")
		took := time.Since(start)
		if w.Code != c.status || !strings.Contains(w.Body.String(), c.mention) {
			t.Errorf("GET %s = %d %s; want %d mentioning %q", c.path, w.Code, w.Body, c.status, c.mention)
		}
		if c.status == 400 && took > 50*time.Millisecond {
			t.Errorf("GET %s took %s; a refusal is at once", c.path, took)
		}
		if strings.HasPrefix(c.path, "/graphql") {
			var gql struct {
				Errors []struct {
					Extensions map[string]string `json:"extensions"`
				} `json:"errors"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &gql); err != nil || len(gql.Errors) != 1 || gql.Errors[0].Extensions["code"] != "BAD_USER_INPUT" {
				t.Errorf("GET %s: %s; want a GraphQL error", c.path, w.Body)
			}
		}
	}
	// The head cannot be read: the read is not answered as if it could.
	p.Head = func(context.Context) (events.Position, error) { return 0, errors.New("log down") }
	if w := serve(h, "GET", "/api/dump?min_position=1", nil, ""); w.Code != 500 || strings.Contains(w.Body.String(), "log down") {
		t.Errorf("head unreadable: %d %s; want 500 keeping the cause in the log", w.Code, w.Body)
	}
}
