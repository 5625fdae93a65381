package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/internal/testenv"
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
	servers := startServers(t, "race", nil)
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
		if err := json.Unmarshal([]byte(getDumpAfter(t, s.base, "main", events.Position(last))), &dump); err != nil {
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

// startServers starts two API servers on one PostgreSQL schema and RabbitMQ namespace, with
// extra settings.
func startServers(t *testing.T, name string, extra map[string]string) []*child {
	pgURL, schema := testenv.PostgresSchema(t)
	amqpURL := testenv.AMQPURL(t)
	u, _ := url.Parse(pgURL)
	q := u.Query()
	q.Set("schema", schema)
	u.RawQuery = q.Encode()
	ns := name + "-" + schema
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
		maps.Copy(env, extra)
		t.Cleanup(func() { deleteQueues(t, amqpURL, topic, instance) })
		servers = append(servers, startChild(t, freeAddr(t), env))
	}
	return servers
}

const poolRaceSchema = `
version: "1.0"
nodes:
  - name: Prefix
    namespace: Race
    inherit_from: [BuiltinIPPrefix]
  - name: Address
    namespace: Race
    inherit_from: [BuiltinIPAddress]
`

// Two servers sharing a Redis (INFRAHUB_CACHE_URL) allocate from one pool on four branches at
// once: every address is different, although each branch's writes go to its own stream.
func TestTwoServersAllocateDistinct(t *testing.T) {
	servers := startServers(t, "pools", map[string]string{"INFRAHUB_CACHE_URL": testenv.RedisURL(t)})
	base := servers[0].base
	schemaText, _ := json.Marshal(poolRaceSchema)
	if code, out := commandStatus(t, base, "schema.load", map[string]any{"schemas": []json.RawMessage{schemaText}}); code != 200 {
		t.Fatalf("schema load: %d %v", code, out)
	}
	code, out := commandStatus(t, base, "batch", map[string]any{"operations": []any{
		map[string]any{"type": "node.create", "ref": "p", "payload": map[string]any{"kind": "RacePrefix", "data": map[string]any{"prefix": "10.9.0.0/24"}}},
		map[string]any{"type": "node.create", "payload": map[string]any{"kind": "CoreIPAddressPool", "data": map[string]any{
			"name": "race", "default_address_type": "RaceAddress", "resources": []any{map[string]any{"ref": "p"}}, "ip_namespace": []string{"default"}}}},
	}})
	if code != 200 {
		t.Fatalf("pool: %d %v", code, out)
	}
	branches := []string{"b1", "b2", "b3", "b4"}
	for _, b := range branches {
		if code, out := commandStatus(t, base, "branch.create", map[string]any{"name": b}); code != 200 {
			t.Fatalf("branch %s: %d %v", b, code, out)
		}
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		seen = map[string]string{}
	)
	for i := range 32 {
		wg.Go(func() {
			br := branches[i%len(branches)]
			code, out := commandStatus(t, servers[i%2].base, "pool.allocate", map[string]any{"branch": br, "hfid": []string{"race"}})
			if code != 200 {
				t.Errorf("allocation %d on %s: %d %v", i, br, code, out)
				return
			}
			label, _ := out["data"].(map[string]any)["display_label"].(string)
			mu.Lock()
			defer mu.Unlock()
			if other, dup := seen[label]; dup || label == "" {
				t.Errorf("address %q given twice (%s and %s)", label, other, br)
			}
			seen[label] = br
		})
	}
	wg.Wait()
	if len(seen) != 32 {
		t.Fatalf("%d distinct addresses, want 32: %v", len(seen), seen)
	}
}
