package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/events/bus"
	"github.com/infrahub-go/infrahub/internal/testenv"
	"github.com/infrahub-go/infrahub/projections"
	"github.com/infrahub-go/infrahub/projections/counter"
)

// TestCrashRecoveryDistributed kills a distributed `infrahub serve` (PostgreSQL + RabbitMQ) with
// SIGKILL while clients append 10,000 events through /api/commands, restarts it, and checks that
// every acknowledged event is in the log exactly once, that the forwarder resumed from its
// checkpoint rather than from zero, and that the counting projection equals the log.
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
		testenv.DeleteAMQPTopology(t, amqpURL, topic,
			bus.QueueName(topic, projections.ConsumerName(counter.Name)+"@api-1"),
			bus.QueueName(topic, projections.ConsumerName(nodes.Name)+"@api-1"))
	})
	addr := freeAddr(t)
	first := startChild(t, addr, env)

	const total, clients, killAfter = 10000, 8, 3000
	var (
		next      atomic.Int64 // next command number to send
		acked     sync.Map     // command id -> first position answered
		ackCount  atomic.Int64
		retry     = make(chan string, total)
		crashed   = make(chan struct{})
		crashOnce sync.Once
	)
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
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
			res, code, err := send(ctx, client, b, id)
			if err != nil {
				if code >= 400 && code < 500 {
					t.Errorf("command %s refused: %v", id, err)
					return
				}
				retry <- id // server down (or dying): send the same command again later
				time.Sleep(20 * time.Millisecond)
				continue
			}
			if _, dup := acked.LoadOrStore(id, res.Positions[0]); !dup {
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

	// Every acknowledged command is in the log exactly once, at the position it was answered.
	inLog := commandsInLog(t, pgURL, schema)
	if len(inLog) != total {
		t.Fatalf("the log holds %d distinct commands, want %d", len(inLog), total)
	}
	acked.Range(func(k, v any) bool {
		row, ok := inLog[k.(string)]
		switch {
		case !ok:
			t.Errorf("acknowledged command %s is not in the log", k)
		case row.count != 1:
			t.Errorf("command %s is in the log %d times", k, row.count)
		case row.position != v.(events.Position):
			t.Errorf("command %s was answered position %d but is stored at %d", k, v, row.position)
		}
		return true
	})

	// The forwarder resumed from its checkpoint, and the projection equals the log.
	eventually(t, 60*time.Second, "forwarder and counter reach the log head", func() (bool, string) {
		s := getStatus(t, second.base)
		c := s.Projections["counter"]
		return s.LogHead > 0 && s.Forwarder.Position == s.LogHead && c.Counts.ByType["diagnostic.recorded"] == total && c.Stats.Position == s.LogHead,
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
			WHERE type = 'diagnostic.recorded' GROUP BY command_id`)
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
