package main

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"

	"github.com/infrahub-go/infrahub/internal/testenv"
	"github.com/infrahub-go/infrahub/task"
)

// Two API servers that run no tasks and two workers share one PostgreSQL log, RabbitMQ and
// Redis. 200 tasks (BranchCreate with wait_until_completion: false, as the SDK's
// client.branch.create(wait_until_completion=False) sends it) are submitted through both
// servers. One worker is frozen while tasks keep coming, so that it holds unacknowledged task
// messages, and is then killed with SIGKILL: RabbitMQ hands its tasks to the other worker. Every
// task completes exactly once (one task.created and one task.completed in its stream, one
// branch.created per branch), and InfrahubTask answers the same states and logs on both servers.
func TestTasksAcrossProcesses(t *testing.T) {
	pgURL, schema := testenv.PostgresSchema(t)
	amqpURL := testenv.AMQPURL(t)
	redisURL := testenv.RedisURL(t)
	u, _ := url.Parse(pgURL)
	q := u.Query()
	q.Set("schema", schema)
	u.RawQuery = q.Encode()
	ns := "tasks-" + schema
	topic := ns + ".events"
	names := []string{"api-1", "api-2", "w-1", "w-2"}
	t.Cleanup(func() {
		deleteTopology(t, amqpURL, topic, nil, names...)
		opts, _ := redis.ParseURL(redisURL)
		rc := redis.NewClient(opts)
		defer rc.Close()
		keys := []string{ns + ":forwarder", ns + ":forwarder:fence"}
		for _, n := range names {
			keys = append(keys, ns+":presence:"+n)
		}
		rc.Del(context.Background(), keys...)
	})
	env := func(instance, workers string) map[string]string {
		return map[string]string{"INFRAHUB_DATA": t.TempDir(), "INFRAHUB_EVENTS_URL": u.String(), "INFRAHUB_BROKER_URL": amqpURL,
			"INFRAHUB_BROKER_NAMESPACE": ns, "INFRAHUB_INSTANCE": instance, "INFRAHUB_CACHE_URL": redisURL,
			"INFRAHUB_FORWARDER_LEASE_TTL": "1s", "INFRAHUB_WORKERS": workers}
	}
	api := []*child{startRole(t, "serve", freeAddr(t), env("api-1", "0"))}
	api = append(api, startRole(t, "serve", freeAddr(t), env("api-2", "0")))
	w1 := startRole(t, "worker", freeAddr(t), env("w-1", "4"))
	startRole(t, "worker", freeAddr(t), env("w-2", "4"))

	const total, frozenAt = 200, 80
	var (
		mu  sync.Mutex
		ids = map[string]string{} // task id -> branch name
	)
	submit := func(from, to int) {
		var wg sync.WaitGroup
		for i := from; i < to; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				name := fmt.Sprintf("task-%03d", i)
				doc := fmt.Sprintf(`mutation { BranchCreate(data: {name: %q, description: "task %d"}, wait_until_completion: false) { ok task { id } } }`, name, i)
				code, out := gqlAs(t, api[i%2].base, keyOf(testAdminToken), doc)
				id, _ := dig(out, "data", "BranchCreate", "task", "id").(string)
				if code != 200 || id == "" {
					t.Errorf("submit %s: %d %v", name, code, out)
					return
				}
				mu.Lock()
				ids[id] = name
				mu.Unlock()
			}()
			if i%10 == 9 {
				wg.Wait()
			}
		}
		wg.Wait()
	}
	completed := func(base string) int {
		code, out := gqlAs(t, base, keyOf(testAdminToken), fmt.Sprintf(`{ InfrahubTask(limit: %d, state: [COMPLETED]) { count } }`, total))
		n, _ := dig(out, "data", "InfrahubTask", "count").(float64)
		if code != 200 {
			t.Fatalf("InfrahubTask: %d %v", code, out)
		}
		return int(n)
	}

	submit(0, frozenAt)
	// Freeze w-1 (its consumers keep their prefetched messages unacknowledged), submit the rest:
	// w-2 runs all it gets, w-1's stay held until it dies.
	if err := w1.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	submit(frozenAt, total)
	if t.Failed() {
		t.FailNow()
	}
	var held int
	eventually(t, 60*time.Second, "w-2 runs every task w-1 does not hold", func() (bool, string) {
		n := completed(api[0].base)
		held = total - n
		// Stable: the count stopped moving for a moment and w-1 holds at most its 4 slots.
		time.Sleep(300 * time.Millisecond)
		m := completed(api[0].base)
		return m == n && total-m <= 4, fmt.Sprintf("%d completed", m)
	})
	t.Logf("the frozen worker holds %d task(s)", held)
	if held == 0 {
		t.Fatal("the frozen worker holds no task: nothing would be redelivered")
	}
	w1.kill()
	eventually(t, 60*time.Second, "every task completes once the frozen worker is killed", func() (bool, string) {
		n := completed(api[1].base)
		return n == total, fmt.Sprintf("%d of %d completed", n, total)
	})

	// The log: each task's stream holds one created and one completed event, and each branch
	// was created once.
	type streamRow struct{ created, started, completed, logged, other int }
	streams := map[string]*streamRow{}
	branches := map[string]int{}
	withConn(t, pgURL, func(ctx context.Context, conn *pgx.Conn) {
		rows, err := conn.Query(ctx, `SELECT stream, type, payload::jsonb->>'name' FROM `+schema+`.events
			WHERE stream LIKE 'task/%' OR type = 'branch.created'`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var stream, typ string
			var name *string
			if err := rows.Scan(&stream, &typ, &name); err != nil {
				t.Fatal(err)
			}
			if typ == "branch.created" {
				branches[*name]++
				continue
			}
			id := strings.TrimPrefix(stream, task.StreamPrefix)
			r := streams[id]
			if r == nil {
				r = &streamRow{}
				streams[id] = r
			}
			switch typ {
			case task.TypeCreated:
				r.created++
			case task.TypeStarted:
				r.started++
			case task.TypeCompleted:
				r.completed++
			case task.TypeLogged:
				r.logged++
			default:
				r.other++
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
	})
	if len(streams) != total || len(ids) != total {
		t.Fatalf("%d task streams, %d tasks submitted, want %d", len(streams), len(ids), total)
	}
	restarted := 0
	for id, name := range ids {
		r := streams[id]
		if r == nil || r.created != 1 || r.completed != 1 || r.other != 0 || r.started < 1 || r.logged < 1 || r.logged > r.started {
			t.Errorf("task %s (%s): %+v", id, name, r)
		}
		if r != nil && r.started > 1 {
			restarted++
		}
		if branches[name] != 1 {
			t.Errorf("branch %s created %d times", name, branches[name])
		}
	}
	t.Logf("%d task(s) started twice (w-1 died while running them)", restarted)

	// Both servers answer the same tasks, states and logs (each run logs what its command did).
	doc := fmt.Sprintf(`{ InfrahubTask(limit: %d) { count edges { node { id state conclusion workflow branch title
		logs { count edges { node { message severity } } } } } } }`, total)
	var answers []string
	for _, c := range api {
		code, out := gqlAs(t, c.base, keyOf(testAdminToken), doc)
		if code != 200 || dig(out, "data", "InfrahubTask", "count") != float64(total) {
			t.Fatalf("%s: InfrahubTask %d %v", c.base, code, dig(out, "data", "InfrahubTask", "count"))
		}
		edges := dig(out, "data", "InfrahubTask", "edges").([]any)
		var rows []string
		for _, e := range edges {
			n := dig(e, "node").(map[string]any)
			if n["state"] != "COMPLETED" || n["conclusion"] != "success" || n["workflow"] != "create-branch" {
				t.Errorf("task %v", n)
			}
			rows = append(rows, fmt.Sprint(n))
		}
		slices.Sort(rows)
		answers = append(answers, strings.Join(rows, "\n"))
	}
	if answers[0] != answers[1] {
		t.Error("the two servers answer different tasks")
	}
	// InfrahubStatus lists the four processes.
	eventually(t, 40*time.Second, "InfrahubStatus lists the live processes", func() (bool, string) {
		_, out := gqlAs(t, api[0].base, keyOf(testAdminToken), `{ InfrahubStatus { workers { edges { node { id active } } } } }`)
		var live []string
		for _, e := range dig(out, "data", "InfrahubStatus", "workers", "edges").([]any) {
			if dig(e, "node", "active") == true {
				live = append(live, dig(e, "node", "id").(string))
			}
		}
		slices.Sort(live)
		return slices.Equal(live, []string{"api-1", "api-2", "w-2"}), fmt.Sprint(live)
	})
}
