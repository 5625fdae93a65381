package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/events/bus"
	"github.com/infrahub-go/infrahub/internal/testenv"
	"github.com/infrahub-go/infrahub/projections"
	"github.com/infrahub-go/infrahub/projections/counter"
)

const raceSchema = `
version: "1.0"
nodes:
  - name: Site
    namespace: Race
    human_friendly_id: [name__value]
    attributes:
      - {name: name, kind: Text, unique: true}
  - name: Device
    namespace: Race
    human_friendly_id: [name__value]
    attributes:
      - {name: name, kind: Text, unique: true}
    relationships:
      - {name: site, peer: RaceSite, cardinality: one, optional: true}
`

// commandStatus posts a command and returns the HTTP status and the decoded answer.
func commandStatus(t *testing.T, base, typ string, payload any) (int, map[string]any) {
	t.Helper()
	raw, _ := json.Marshal(payload)
	body, _ := json.Marshal(map[string]any{"type": typ, "payload": json.RawMessage(raw)})
	resp, err := http.Post(base+"/api/commands", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Error(err)
		return 0, nil
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// Two API servers on one PostgreSQL (and RabbitMQ): 16 clients, half on each, create the same
// unique name: exactly one succeeds, the others get a uniqueness error; then 16 concurrent
// updates of one cardinality-one relationship leave exactly one peer, on both servers.
func TestTwoServersNoDuplicates(t *testing.T) {
	pgURL, schema := testenv.PostgresSchema(t)
	amqpURL := testenv.AMQPURL(t)
	u, _ := url.Parse(pgURL)
	q := u.Query()
	q.Set("schema", schema)
	u.RawQuery = q.Encode()
	ns := "race-" + schema
	topic := ns + ".events"
	var servers []*child
	for i := range 2 {
		instance := fmt.Sprintf("api-%d", i+1)
		env := map[string]string{
			"INFRAHUB_DATA":             t.TempDir(),
			"INFRAHUB_EVENTS_URL":       u.String(),
			"INFRAHUB_BROKER_URL":       amqpURL,
			"INFRAHUB_BROKER_NAMESPACE": ns,
			"INFRAHUB_INSTANCE":         instance,
		}
		t.Cleanup(func() {
			testenv.DeleteAMQPTopology(t, amqpURL, topic,
				bus.QueueName(topic, projections.ConsumerName(counter.Name)+"@"+instance),
				bus.QueueName(topic, projections.ConsumerName(nodes.Name)+"@"+instance))
		})
		servers = append(servers, startChild(t, freeAddr(t), env))
	}
	schemaText, _ := json.Marshal(raceSchema)
	if code, out := commandStatus(t, servers[0].base, "schema.load", map[string]any{"schemas": []json.RawMessage{schemaText}}); code != 200 {
		t.Fatalf("schema load: %d %v", code, out)
	}
	var (
		wg sync.WaitGroup
		mu sync.Mutex
	)
	// Ten rounds of 16 clients racing for one name each: every round has exactly one winner.
	for round := range 10 {
		codes, msgs := map[int]int{}, []string{}
		for i := range 16 {
			wg.Go(func() {
				code, out := commandStatus(t, servers[i%2].base, "node.create", map[string]any{"kind": "RaceDevice", "data": map[string]any{"name": fmt.Sprintf("same-%d", round)}})
				mu.Lock()
				defer mu.Unlock()
				codes[code]++
				if code != 200 {
					msgs = append(msgs, fmt.Sprint(out))
				}
			})
		}
		wg.Wait()
		if codes[200] != 1 || codes[409] != 15 {
			t.Fatalf("round %d: answers %v, want one 200 and fifteen 409: %v", round, codes, msgs)
		}
		for _, m := range msgs {
			if !strings.Contains(m, "uniqueness constraint") {
				t.Errorf("a loser's answer does not say uniqueness: %s", m)
			}
		}
	}
	var sites []string
	for i := range 16 {
		code, out := commandStatus(t, servers[0].base, "node.create", map[string]any{"kind": "RaceSite", "data": map[string]any{"name": fmt.Sprintf("s%d", i)}})
		if code != 200 {
			t.Fatalf("site: %d %v", code, out)
		}
		sites = append(sites, out["data"].(map[string]any)["id"].(string))
	}
	var last float64
	for i := range 16 {
		wg.Go(func() {
			code, out := commandStatus(t, servers[i%2].base, "node.update", map[string]any{"kind": "RaceDevice", "hfid": []string{"same-0"}, "data": map[string]any{"site": sites[i]}})
			if code != 200 {
				t.Errorf("update %d: %d %v", i, code, out)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			if p := out["positions"].([]any); len(p) > 0 {
				last = max(last, p[len(p)-1].(float64))
			}
		})
	}
	wg.Wait()
	for _, s := range servers {
		var dump []nodes.DumpedNode
		if err := json.Unmarshal([]byte(getDumpAfter(t, s.base, "main", int64(last))), &dump); err != nil {
			t.Fatal(err)
		}
		devices := 0
		for _, n := range dump {
			if n.Kind == "RaceDevice" {
				devices++
			}
			if n.Kind == "RaceDevice" && n.Attributes["name"].Value == "same-0" {
				if got := len(n.Relationships["site"]); got != 1 {
					t.Errorf("%s: the device has %d sites", s.base, got)
				}
			}
		}
		if devices != 10 {
			t.Errorf("%s: %d devices, want one per round", s.base, devices)
		}
	}
}
