package subscribe_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/infrahub-go/infrahub/limits"
	"github.com/infrahub-go/infrahub/projections/activity"
)

// wsClient is a minimal client of either protocol over coder/websocket.
type wsClient struct {
	t *testing.T
	c *websocket.Conn
}

type msg struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

func dial(t *testing.T, url, proto string, h http.Header) *wsClient {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	opts := &websocket.DialOptions{HTTPHeader: h}
	if proto != "" {
		opts.Subprotocols = []string{proto}
	}
	c, _, err := websocket.Dial(ctx, url, opts)
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	c.SetReadLimit(-1)
	t.Cleanup(func() { _ = c.CloseNow() })
	return &wsClient{t: t, c: c}
}

func (w *wsClient) send(m any) {
	w.t.Helper()
	raw, _ := json.Marshal(m)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := w.c.Write(ctx, websocket.MessageText, raw); err != nil {
		w.t.Fatalf("write: %v", err)
	}
}

// read answers the next message, or the close status the connection ended with.
func (w *wsClient) read() (msg, websocket.StatusCode) {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, raw, err := w.c.Read(ctx)
	if err != nil {
		if s := websocket.CloseStatus(err); s != -1 {
			return msg{}, s
		}
		w.t.Fatalf("read: %v", err)
	}
	var m msg
	if err := json.Unmarshal(raw, &m); err != nil {
		w.t.Fatalf("message %s: %v", raw, err)
	}
	return m, 0
}

// expect reads messages, skipping ka, until one of type typ.
func (w *wsClient) expect(typ string) msg {
	w.t.Helper()
	for {
		m, code := w.read()
		if code != 0 {
			w.t.Fatalf("want %s, the connection closed with %d", typ, code)
		}
		if m.Type == "ka" {
			continue
		}
		if m.Type != typ {
			w.t.Fatalf("want %s, got %s %s", typ, m.Type, m.Payload)
		}
		return m
	}
}

func (w *wsClient) expectClose(code websocket.StatusCode) {
	w.t.Helper()
	for {
		m, got := w.read()
		if got == 0 {
			if m.Type == "ka" || m.Type == "connection_ack" {
				continue
			}
			w.t.Fatalf("want close %d, got message %s %s", code, m.Type, m.Payload)
		}
		if got != code {
			w.t.Fatalf("closed with %d, want %d", got, code)
		}
		return
	}
}

func sub(id, query string, vars map[string]any) map[string]any {
	return map[string]any{"id": id, "type": "subscribe", "payload": map[string]any{"query": query, "variables": vars}}
}

const eventsDoc = `subscription S($after: String, $kinds: [String!], $branches: [String!]) {
  InfrahubEvents(after: $after, kinds: $kinds, branches: $branches) {
    id event branch position __typename
    primary_node { id kind }
    attributes { name value value_previous action }
  }
}`

type eventData struct {
	Data struct {
		InfrahubEvents struct {
			ID          string                    `json:"id"`
			Event       string                    `json:"event"`
			Branch      string                    `json:"branch"`
			Position    string                    `json:"position"`
			Typename    string                    `json:"__typename"`
			PrimaryNode struct{ ID, Kind string } `json:"primary_node"`
			Attributes  []map[string]any          `json:"attributes"`
		} `json:"InfrahubEvents"`
	} `json:"data"`
	Errors []struct {
		Message    string         `json:"message"`
		Extensions map[string]any `json:"extensions"`
	} `json:"errors"`
}

func decode(t *testing.T, raw json.RawMessage) eventData {
	t.Helper()
	var d eventData
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatalf("payload %s: %v", raw, err)
	}
	return d
}

// TestTransportWSErrors: the close codes of graphql-transport-ws's PROTOCOL.md.
func TestTransportWSErrors(t *testing.T) {
	e := newEnv(t, 100, nil)
	url := e.wsURL + "/graphql"
	t.Run("subscribe before init: 4401", func(t *testing.T) {
		c := dial(t, url, "graphql-transport-ws", nil)
		c.send(sub("1", eventsDoc, nil))
		c.expectClose(4401)
	})
	t.Run("init twice: 4429", func(t *testing.T) {
		c := dial(t, url, "graphql-transport-ws", nil)
		c.send(map[string]any{"type": "connection_init"})
		c.expect("connection_ack")
		c.send(map[string]any{"type": "connection_init"})
		c.expectClose(4429)
	})
	t.Run("bad credentials in connection_init: 4403", func(t *testing.T) {
		c := dial(t, url, "graphql-transport-ws", nil)
		c.send(map[string]any{"type": "connection_init", "payload": map[string]any{"X-INFRAHUB-KEY": "wrong"}})
		c.expectClose(4403)
	})
	t.Run("same id twice: 4409", func(t *testing.T) {
		c := dial(t, url, "graphql-transport-ws", nil)
		c.send(map[string]any{"type": "connection_init"})
		c.expect("connection_ack")
		c.send(sub("1", eventsDoc, nil))
		c.send(sub("1", eventsDoc, nil))
		c.expectClose(4409)
	})
	t.Run("invalid message: 4400", func(t *testing.T) {
		c := dial(t, url, "graphql-transport-ws", nil)
		c.send(map[string]any{"type": "connection_init"})
		c.expect("connection_ack")
		c.send(map[string]any{"type": "nonsense"})
		c.expectClose(4400)
	})
	t.Run("no sub-protocol: 4406", func(t *testing.T) {
		c := dial(t, url, "", nil)
		c.expectClose(4406)
	})
	t.Run("ping pong, validation error, a query over the socket", func(t *testing.T) {
		c := dial(t, url, "graphql-transport-ws", nil)
		c.send(map[string]any{"type": "connection_init"})
		c.expect("connection_ack")
		c.send(map[string]any{"type": "ping", "payload": map[string]any{"n": 1}})
		if m := c.expect("pong"); string(m.Payload) != `{"n":1}` {
			t.Errorf("pong payload %s", m.Payload)
		}
		c.send(sub("1", `subscription { InfrahubEvents { nope } }`, nil))
		if m := c.expect("error"); m.ID != "1" || !strings.Contains(string(m.Payload), "GRAPHQL_VALIDATION_FAILED") {
			t.Errorf("error %s %s", m.ID, m.Payload)
		}
		c.send(sub("2", `query { __typename }`, nil))
		if m := c.expect("error"); m.ID != "2" || !strings.Contains(string(m.Payload), "a subscriptions") && !strings.Contains(string(m.Payload), "is a query") {
			t.Errorf("error %s %s", m.ID, m.Payload)
		}
		c.send(sub("3", eventsDoc, map[string]any{"after": "x"}))
		m := c.expect("next")
		if d := decode(t, m.Payload); len(d.Errors) != 1 || d.Errors[0].Extensions["code"] != "BAD_USER_INPUT" {
			t.Errorf("after x: %s", m.Payload)
		}
		c.expect("complete")
	})
	t.Run("plain GET stays with the next handler", func(t *testing.T) {
		resp, err := http.Get(e.srv.URL + "/graphql")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusTeapot {
			t.Errorf("status %d", resp.StatusCode)
		}
	})
}

// TestTransportWSEvents: order, filters, resume after a position, permissions per event, stop by
// complete, the per-connection limit, and the server's Close.
func TestTransportWSEvents(t *testing.T) {
	e := newEnv(t, 1000, func(l *limits.Limits) { l.SubscriptionsPerConnection = 2 })
	e.src.Append(device(activity.NodeCreated, "TestDevice", "main", "d1"), device(activity.NodeCreated, "TestSecret", "main", "s1"))
	c := dial(t, e.wsURL+"/graphql/other", "graphql-transport-ws", nil)
	c.send(map[string]any{"type": "connection_init", "payload": map[string]any{"Authorization": "Bearer limited-token"}})
	c.expect("connection_ack")
	// from the start (after 0): TestSecret is not visible to this account; live events follow
	c.send(sub("all", eventsDoc, map[string]any{"after": "0"}))
	c.send(sub("other", eventsDoc, map[string]any{"branches": []string{"other"}}))
	c.send(sub("third", eventsDoc, nil))
	time.Sleep(50 * time.Millisecond) // the live subscription ("other") has read the head
	e.src.Append(device(activity.NodeUpdated, "TestDevice", "other", "d2"), device(activity.NodeDeleted, "TestSecret", "other", "s2"),
		device(activity.NodeDeleted, "TestDevice", "main", "d1"))
	got := map[string][]string{}
	refused := false
	for len(got["all"]) < 3 || len(got["other"]) < 1 || !refused {
		m, code := c.read()
		if code != 0 {
			t.Fatalf("closed with %d", code)
		}
		if m.Type == "error" {
			if m.ID != "third" || !strings.Contains(string(m.Payload), "INFRAHUB_SUBSCRIPTIONS_PER_CONNECTION") {
				t.Errorf("error: %s %s", m.ID, m.Payload)
			}
			refused = true
			continue
		}
		if m.Type != "next" {
			t.Fatalf("message %s %s", m.Type, m.Payload)
		}
		d := decode(t, m.Payload).Data.InfrahubEvents
		got[m.ID] = append(got[m.ID], d.Position+":"+d.Event+":"+d.PrimaryNode.ID+"@"+d.Branch)
		if d.Typename != "InfrahubStreamEvent" || len(d.Attributes) != 1 {
			t.Errorf("payload %s", m.Payload)
		}
	}
	want := map[string][]string{
		"all":   {"1:infrahub.node.created:d1@main", "3:infrahub.node.updated:d2@other", "5:infrahub.node.deleted:d1@main"},
		"other": {"3:infrahub.node.updated:d2@other"},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %v\nwant %v", got, want)
	}
	// stop one: no complete is sent for it; the other still runs; then resume after 3
	c.send(map[string]any{"id": "all", "type": "complete"})
	c.send(sub("resume", eventsDoc, map[string]any{"after": "3", "kinds": []string{"TestDevice"}}))
	m := c.expect("next")
	if d := decode(t, m.Payload).Data.InfrahubEvents; m.ID != "resume" || d.Position != "5" {
		t.Errorf("resume after 3: %s %s", m.ID, m.Payload)
	}
	closed := make(chan struct{})
	go func() { e.sub.Close(); close(closed) }()
	c.expectClose(websocket.StatusGoingAway)
	<-closed
}

// TestLegacyGraphQLWS: subscriptions-transport-ws's graphql-ws: init, ack and ka, start, data,
// stop and complete, errors, terminate; and the query subscription.
func TestLegacyGraphQLWS(t *testing.T) {
	e := newEnv(t, 1000, nil)
	c := dial(t, e.wsURL+"/graphql", "graphql-ws", http.Header{"X-Test-User": {"limited"}})
	c.send(map[string]any{"type": "start", "id": "early", "payload": map[string]any{"query": eventsDoc}})
	if m := c.expect("error"); m.ID != "early" {
		t.Errorf("start before init: %s", m.ID)
	}
	c.send(map[string]any{"type": "connection_init", "payload": map[string]any{}})
	c.expect("connection_ack")
	c.send(map[string]any{"type": "start", "id": "1", "payload": map[string]any{"query": eventsDoc, "variables": map[string]any{"after": "0"}}})
	e.src.Append(device(activity.NodeCreated, "TestSecret", "main", "s1"), device(activity.NodeCreated, "TestDevice", "main", "d1"))
	m := c.expect("data")
	if d := decode(t, m.Payload).Data.InfrahubEvents; m.ID != "1" || d.Position != "2" || d.PrimaryNode.Kind != "TestDevice" {
		t.Errorf("data %s %s", m.ID, m.Payload)
	}
	c.send(map[string]any{"type": "stop", "id": "1"})
	if m := c.expect("complete"); m.ID != "1" {
		t.Errorf("complete %s", m.ID)
	}
	c.send(map[string]any{"type": "start", "id": "2", "payload": map[string]any{"query": `subscription { InfrahubEvents { bad } }`}})
	if m := c.expect("error"); m.ID != "2" || !strings.Contains(string(m.Payload), "bad") {
		t.Errorf("error %s %s", m.ID, m.Payload)
	}
	// Infrahub's query subscription: the stored query every interval, with params as variables
	start := time.Now()
	c.send(map[string]any{"type": "start", "id": "q", "payload": map[string]any{
		"query": `subscription Q { devices: query(name: "devices", params: {site: "paris"}, interval: 1) }`}})
	for i := 1; i <= 2; i++ {
		m := c.expect("data")
		want := fmt.Sprintf(`{"data":{"devices":{"TestDevice":{"count":%d},"vars":{"site":"paris"}}}}`, i)
		if m.ID != "q" || string(m.Payload) != want {
			t.Errorf("query %d: %s %s, want %s", i, m.ID, m.Payload, want)
		}
	}
	if d := time.Since(start); d < 900*time.Millisecond {
		t.Errorf("two runs in %v with interval 1 s", d)
	}
	c.send(map[string]any{"type": "stop", "id": "q"})
	c.expect("complete")
	c.send(map[string]any{"type": "start", "id": "missing", "payload": map[string]any{"query": `subscription { query(name: "nope") }`}})
	m = c.expect("data")
	if d := decode(t, m.Payload); len(d.Errors) != 1 || !strings.Contains(d.Errors[0].Message, "nope") {
		t.Errorf("missing query: %s", m.Payload)
	}
	c.expect("complete")
	c.send(map[string]any{"type": "connection_terminate"})
	c.expectClose(websocket.StatusNormalClosure)
}

// TestOverflow: a client that does not read falls behind its buffer; it gets the events it was
// sent, an error naming the position to resume after and the end; resuming gets the rest with no
// gap and no duplicate. Writers were never blocked (Append returns at once).
func TestOverflow(t *testing.T) {
	e := newEnv(t, 4, nil)
	c := dial(t, e.wsURL+"/graphql", "graphql-transport-ws", nil)
	c.send(map[string]any{"type": "connection_init"})
	c.expect("connection_ack")
	c.send(sub("1", eventsDoc, map[string]any{"after": "0"}))
	big := strings.Repeat("x", 64<<10)
	const n = 300
	e.src.Append(device(activity.NodeUpdated, "TestDevice", "main", "d0"))
	c.expect("next") // the subscription is live: what follows goes through its buffer
	seen := []string{"1"}
	start := time.Now()
	for i := 1; i < n; i++ {
		ev := device(activity.NodeUpdated, "TestDevice", "main", fmt.Sprintf("d%d", i))
		ev.Attributes[0].Value = big
		e.src.Append(ev)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("writes took %v: a subscriber blocked them", d)
	}
	after := ""
	for after == "" {
		m := c.expect("next")
		d := decode(t, m.Payload)
		if len(d.Errors) > 0 {
			if d.Errors[0].Extensions["code"] != "SUBSCRIBER_OVERFLOW" || !strings.Contains(d.Errors[0].Message, "resume after position") {
				t.Fatalf("error %s", m.Payload)
			}
			after = d.Errors[0].Extensions["after"].(string)
			break
		}
		seen = append(seen, d.Data.InfrahubEvents.Position)
	}
	c.expect("complete")
	if len(seen) == 0 || seen[len(seen)-1] != after || len(seen) >= n {
		t.Fatalf("saw %d events, last %v, resume after %s", len(seen), seen[len(seen)-1:], after)
	}
	c.send(sub("2", eventsDoc, map[string]any{"after": after}))
	for len(seen) < n {
		m := c.expect("next")
		seen = append(seen, decode(t, m.Payload).Data.InfrahubEvents.Position)
	}
	for i, p := range seen {
		if p != fmt.Sprint(i+1) {
			t.Fatalf("event %d has position %s: a gap or a duplicate", i, p)
		}
	}
}

// TestMessageLimit: a message over INFRAHUB_SUBSCRIPTION_MAX_MESSAGE_BYTES closes with 1009; no
// connection_init within the init timeout closes with 4408.
func TestMessageLimit(t *testing.T) {
	e := newEnv(t, 10, func(l *limits.Limits) {
		l.SubscriptionMessageBytes = 1024
		l.SubscriptionInitTimeout = 200 * time.Millisecond
	})
	c := dial(t, e.wsURL+"/graphql", "graphql-transport-ws", nil)
	c.send(map[string]any{"type": "connection_init", "payload": map[string]any{"pad": strings.Repeat("x", 2048)}})
	c.expectClose(websocket.StatusMessageTooBig)
	c = dial(t, e.wsURL+"/graphql", "graphql-transport-ws", nil)
	c.expectClose(4408)
}
