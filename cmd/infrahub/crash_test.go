package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/internal/testenv"
)

// TestCrashRecoveryDistributed kills a distributed `infrahub serve` (PostgreSQL + RabbitMQ) with
// SIGKILL while clients send 10,000 commands through /api/commands (diagnostics, and every 20th
// a node.create of a tag), restarts it, and checks that every acknowledged command is in the log
// exactly once, that the forwarder resumed from its checkpoint rather than from zero, and that
// the counting projection equals the log. Then every command is sent again with its id: each
// answers its first result (positions, and the node id of a create) with "duplicate": true, and
// nothing is written twice (the log head, the counts and the number of tags do not move).
func TestCrashRecoveryDistributed(t *testing.T) {
	pgURL, schema := testenv.PostgresSchema(t)
	amqpURL := testenv.AMQPURL(t)
	u, _ := url.Parse(pgURL)
	q := u.Query()
	q.Set("schema", schema)
	u.RawQuery = q.Encode()
	env := map[string]string{
		"INFRAHUB_DATA":             t.TempDir(),
		"INFRAHUB_EVENTS_URL":       u.String(),
		"INFRAHUB_BROKER_URL":       amqpURL,
		"INFRAHUB_BROKER_NAMESPACE": "crash-" + schema,
		"INFRAHUB_INSTANCE":         "api-1",
	}
	topic := env["INFRAHUB_BROKER_NAMESPACE"] + ".events"
	t.Cleanup(func() {
		deleteQueues(t, amqpURL, topic, "api-1")
	})
	addr := freeAddr(t)
	first := startChild(t, addr, env)

	const total, clients, killAfter = 10000, 8, 3000
	const creates = total / createEvery
	var (
		next      atomic.Int64 // next command number to send
		acked     sync.Map     // command id -> the first answer (crashAnswer)
		ackCount  atomic.Int64
		retry     = make(chan string, total)
		crashed   = make(chan struct{})
		crashOnce sync.Once
	)
	client := &http.Client{Timeout: 10 * time.Second, Transport: &adminTransport{base: &http.Transport{MaxIdleConnsPerHost: clients}}}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	base := first.base
	var baseMu sync.RWMutex

	worker := func() {
		for ctx.Err() == nil {
			var id string
			select {
			case id = <-retry:
			default:
				n := next.Add(1) - 1
				if n >= total {
					select {
					case id = <-retry:
					case <-time.After(200 * time.Millisecond):
						if ackCount.Load() == total {
							return
						}
						continue
					}
				} else {
					id = fmt.Sprintf("cmd-%05d", n)
				}
			}
			baseMu.RLock()
			b := base
			baseMu.RUnlock()
			res, code, err := sendCrashCommand(ctx, client, b, id)
			if err != nil {
				if code >= 400 && code < 500 {
					t.Errorf("command %s refused: %v", id, err)
					return
				}
				retry <- id // server down (or dying): send the same command again later
				time.Sleep(20 * time.Millisecond)
				continue
			}
			if _, dup := acked.LoadOrStore(id, res); !dup {
				if ackCount.Add(1) == killAfter {
					crashOnce.Do(func() { close(crashed) })
				}
			}
		}
	}
	var wg sync.WaitGroup
	for i := 0; i < clients; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); worker() }()
	}

	select {
	case <-crashed:
	case <-ctx.Done():
		t.Fatal("never reached the kill point")
	}
	first.kill()
	checkpoint := forwarderCheckpoint(t, pgURL, schema)
	t.Logf("killed with %d acknowledged commands; forwarder checkpoint %d", ackCount.Load(), checkpoint)

	second := startChild(t, addr, env)
	baseMu.Lock()
	base = second.base
	baseMu.Unlock()
	wg.Wait()
	if t.Failed() {
		return
	}
	if n := ackCount.Load(); n != total {
		t.Fatalf("%d commands acknowledged, want %d", n, total)
	}

	// Every acknowledged command is in the log exactly once, at the positions it was answered.
	inLog := commandsInLog(t, pgURL, schema)
	if len(inLog) != total {
		t.Fatalf("the log holds %d distinct commands, want %d", len(inLog), total)
	}
	acked.Range(func(k, v any) bool {
		row, ok := inLog[k.(string)]
		a := v.(crashAnswer)
		switch {
		case !ok:
			t.Errorf("acknowledged command %s is not in the log", k)
		case row.count != len(a.Positions):
			t.Errorf("command %s holds %d events in the log, it answered %d positions", k, row.count, len(a.Positions))
		case row.position != a.Positions[0]:
			t.Errorf("command %s was answered position %d but is stored at %d", k, a.Positions[0], row.position)
		}
		return true
	})

	// The forwarder resumed from its checkpoint, and the projection equals the log.
	eventually(t, 60*time.Second, "forwarder and counter reach the log head", func() (bool, string) {
		s := getStatus(t, second.base)
		c := s.Projections["counter"]
		return s.LogHead > 0 && s.Forwarder.Position == s.LogHead && c.Counts.ByType["diagnostic.recorded"] == total-creates && c.Stats.Position == s.LogHead,
			fmt.Sprintf("head %d forwarder %d counter %d at %d", s.LogHead, s.Forwarder.Position, c.Counts.ByType["diagnostic.recorded"], c.Stats.Position)
	})
	s := getStatus(t, second.base)
	// The log holds the commands and the start's own event (the default IP namespace).
	if republished, most := s.Forwarder.PublishedEvents, int64(s.LogHead-checkpoint); republished > most {
		t.Fatalf("after restart the forwarder published %d events; resuming from checkpoint %d allows at most %d",
			republished, checkpoint, most)
	}
	if checkpoint == 0 {
		t.Log("warning: the forwarder had saved no checkpoint before the kill; resumption was from 0")
	}
	if n := countNodes(t, second.base, "BuiltinTag", s.LogHead); n != creates {
		t.Fatalf("%d tags, want %d", n, creates)
	}

	// Every command again, with its id: each answers its first result and writes nothing.
	head := s.LogHead
	ids := make(chan string, total)
	for n := range total {
		ids <- fmt.Sprintf("cmd-%05d", n)
	}
	close(ids)
	var retried sync.WaitGroup
	for range clients {
		retried.Add(1)
		go func() {
			defer retried.Done()
			for id := range ids {
				res, _, err := sendCrashCommand(ctx, client, second.base, id)
				v, _ := acked.Load(id)
				first, _ := v.(crashAnswer)
				switch {
				case err != nil:
					t.Errorf("retry of %s: %v", id, err)
					return
				case !res.Duplicate || fmt.Sprint(res.Positions) != fmt.Sprint(first.Positions) || res.Data.ID != first.Data.ID:
					t.Errorf("retry of %s answered %+v, want the first answer %+v with duplicate set", id, res, first)
					return
				}
			}
		}()
	}
	retried.Wait()
	if t.Failed() {
		return
	}
	s = getStatus(t, second.base)
	if s.LogHead != head {
		t.Fatalf("the retries moved the log head from %d to %d", head, s.LogHead)
	}
	if n := len(commandsInLog(t, pgURL, schema)); n != total {
		t.Fatalf("after the retries the log holds %d distinct commands, want %d", n, total)
	}
	if n := countNodes(t, second.base, "BuiltinTag", head); n != creates {
		t.Fatalf("after the retries %d tags, want %d", n, creates)
	}
	t.Logf("%d commands retried after the restart: each answered its first result, nothing written", total)
	if err := second.stop(); err != nil {
		t.Fatalf("SIGTERM: %v", err)
	}
}

type logRow struct {
	count    int
	position events.Position
}

func withConn(t *testing.T, pgURL string, f func(context.Context, *pgx.Conn)) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, pgURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	f(ctx, conn)
}

func forwarderCheckpoint(t *testing.T, pgURL, schema string) events.Position {
	var pos int64
	withConn(t, pgURL, func(ctx context.Context, conn *pgx.Conn) {
		err := conn.QueryRow(ctx, `SELECT coalesce(max(position), 0) FROM `+schema+`.checkpoints WHERE name = 'forwarder'`).Scan(&pos)
		if err != nil {
			t.Fatal(err)
		}
	})
	return events.Position(pos)
}

func commandsInLog(t *testing.T, pgURL, schema string) map[string]logRow {
	out := map[string]logRow{}
	withConn(t, pgURL, func(ctx context.Context, conn *pgx.Conn) {
		rows, err := conn.Query(ctx, `SELECT command_id, count(*), min(global_position) FROM `+schema+`.events
			WHERE command_id LIKE 'cmd-%' GROUP BY command_id`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			var r logRow
			var pos int64
			if err := rows.Scan(&id, &r.count, &pos); err != nil {
				t.Fatal(err)
			}
			r.position = events.Position(pos)
			out[id] = r
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
	})
	return out
}

// createEvery: every createEvery-th command of the crash test creates a tag; the others record
// diagnostics.
const createEvery = 20

// crashAnswer is what a command of the crash test answered.
type crashAnswer struct {
	Positions []events.Position `json:"positions"`
	Duplicate bool              `json:"duplicate"`
	Data      struct {
		ID string `json:"id"`
	} `json:"data"`
}

// sendCrashCommand posts command id of the crash test: a node.create of tag id for every
// createEvery-th id, a diagnostic otherwise; err covers transport failures and non-200 answers.
func sendCrashCommand(ctx context.Context, client *http.Client, base, id string) (crashAnswer, int, error) {
	var n int
	_, _ = fmt.Sscanf(id, "cmd-%d", &n)
	body := fmt.Sprintf(`{"type":"diagnostic.record","id":%q,"payload":{"data":{"n":%q}}}`, id, id)
	if n%createEvery == 0 {
		body = fmt.Sprintf(`{"type":"node.create","id":%q,"payload":{"kind":"BuiltinTag","data":{"name":%q}}}`, id, id)
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/commands", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return crashAnswer{}, 0, err
	}
	defer resp.Body.Close()
	var res crashAnswer
	if resp.StatusCode != http.StatusOK {
		var e map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&e)
		return res, resp.StatusCode, fmt.Errorf("status %d: %v", resp.StatusCode, e)
	}
	if err := json.NewDecoder(resp.Body).Decode(&res); err != nil {
		return res, resp.StatusCode, err
	}
	if len(res.Positions) == 0 {
		return res, resp.StatusCode, fmt.Errorf("command %s answered no position", id)
	}
	return res, resp.StatusCode, nil
}

// countNodes answers how many nodes of kind the server holds once it has folded position at.
func countNodes(t *testing.T, base, kind string, at events.Position) int {
	t.Helper()
	resp, err := http.Get(fmt.Sprintf("%s/api/nodes/%s?limit=1&min_position=%d", base, kind, at))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var page struct {
		Count int `json:"count"`
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&page) != nil {
		t.Fatalf("GET /api/nodes/%s: %d", kind, resp.StatusCode)
	}
	return page.Count
}
