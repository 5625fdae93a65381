package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/events/bus"
	"github.com/infrahub-go/infrahub/internal/tcpproxy"
	"github.com/infrahub-go/infrahub/internal/testenv"
	"github.com/infrahub-go/infrahub/projections"
	"github.com/infrahub-go/infrahub/projections/counter"
	"github.com/infrahub-go/infrahub/projections/tasks"
)

// secret is the password every fault test puts in URLs: it must never appear in any output.
const secret = "hunter2-s3cret"

// runToExit runs `infrahub serve` with env until it exits (at most timeout) and returns its
// combined output and exit code (-1 when it had to be killed).
func runToExit(t *testing.T, env map[string]string, timeout time.Duration, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, append([]string{"serve", "--listen", freeAddr(t)}, args...)...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "INFRAHUB_DATA=" + t.TempDir()}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return string(out), 0
	case ctx.Err() != nil:
		return string(out), -1
	case errors.As(err, &exit):
		return string(out), exit.ExitCode()
	}
	t.Fatalf("run infrahub: %v", err)
	return "", 0
}

// closedPort is a loopback address nothing listens on.
func closedPort(t *testing.T) string { return freeAddr(t) }

// writeUntrustedCA writes a self-signed CA that signed nothing the servers present.
func writeUntrustedCA(t *testing.T) string {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "untrusted test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// Every dependency that fails at start stops `serve` with a non-zero exit and one line naming the
// dependency, its variable and the cause; never a panic, never the password.
func TestStartFailuresAreClear(t *testing.T) {
	pgURL := testenv.PostgresURL(t)
	pg, _ := url.Parse(pgURL)
	withPG := func(user, db, query string) string {
		u := *pg
		u.User = url.UserPassword(user, secret)
		u.Path = "/" + db
		u.RawQuery = query
		return u.String()
	}
	pgUser := pg.User.Username()
	pgDB := strings.TrimPrefix(pg.Path, "/")
	cases := []struct {
		name string
		env  map[string]string
		want []string // every one must be in the output
	}{
		{"postgres closed port", map[string]string{"INFRAHUB_EVENTS_URL": "postgres://" + pgUser + "@" + closedPort(t) + "/" + pgDB + "?sslmode=disable&password=" + secret},
			[]string{"event log", "INFRAHUB_EVENTS_URL", "connection refused"}},
		{"postgres wrong database", map[string]string{"INFRAHUB_EVENTS_URL": withPG(pgUser, "infrahub_no_such_db", "sslmode=disable")},
			[]string{"event log", "INFRAHUB_EVENTS_URL", `database "infrahub_no_such_db" does not exist`}},
		{"postgres wrong user", map[string]string{"INFRAHUB_EVENTS_URL": withPG("infrahub_no_such_user", pgDB, "sslmode=disable")},
			[]string{"event log", "INFRAHUB_EVENTS_URL", "infrahub_no_such_user"}},
		{"postgres TLS failure", map[string]string{"INFRAHUB_EVENTS_URL": withPG(pgUser, pgDB, "sslmode=disable"),
			"INFRAHUB_DB_TLS_ENABLED": "true", "INFRAHUB_DB_TLS_CA_FILE": writeUntrustedCA(t)},
			[]string{"event log", "INFRAHUB_EVENTS_URL", "tls"}},
		{"postgres malformed URL", map[string]string{"INFRAHUB_EVENTS_URL": withPG(pgUser, pgDB, "sslmode=disable%zz")},
			[]string{"event log", "INFRAHUB_EVENTS_URL", "disable%zz"}},
		{"postgres URL that is not a URL", map[string]string{"INFRAHUB_EVENTS_URL": "postgres://" + pgUser + ":" + secret + "@db:port/x?password=" + secret},
			[]string{"INFRAHUB_EVENTS_URL", "is not a URL"}},
		{"broker closed port, fail fast", map[string]string{"INFRAHUB_BROKER_URL": "amqp://guest:" + secret + "@" + closedPort(t) + "/", "INFRAHUB_FAIL_FAST": "true"},
			[]string{"broker", "INFRAHUB_BROKER_URL", "connection refused", "INFRAHUB_FAIL_FAST"}},
		{"cache closed port, --fail-fast", map[string]string{"INFRAHUB_CACHE_URL": "redis://:" + secret + "@" + closedPort(t) + "/0"},
			[]string{"cache", "INFRAHUB_CACHE_URL", "connection refused"}},
		{"storage bad URL", map[string]string{"INFRAHUB_STORAGE_URL": "s3://bucket?region=nowhere&endpoint=http://" + closedPort(t) + "&secret_access_key=" + secret + "&bogus=1"},
			[]string{"storage", "INFRAHUB_STORAGE_URL"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			var args []string
			if strings.Contains(tc.name, "--fail-fast") {
				args = append(args, "--fail-fast")
			}
			out, code := runToExit(t, tc.env, 60*time.Second, args...)
			if code == 0 || code == -1 {
				t.Fatalf("exit code %d, want a failure at start:\n%s", code, out)
			}
			for _, bad := range []string{"panic", "goroutine ", "SIGSEGV"} {
				if strings.Contains(out, bad) {
					t.Fatalf("output has %q:\n%s", bad, out)
				}
			}
			if strings.Contains(out, secret) {
				t.Fatalf("output leaks the password:\n%s", out)
			}
			last := lastLine(out)
			if !strings.HasPrefix(last, "infrahub: ") {
				t.Fatalf("the last line is not the error: %q", last)
			}
			for _, w := range tc.want {
				if !strings.Contains(last, w) {
					t.Errorf("the error does not say %q: %s", w, last)
				}
			}
			t.Logf("%s (after %s)", last, time.Since(start).Round(time.Millisecond))
		})
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// The passwords of valid URLs (userinfo and ?password=) never reach the log.
func TestPasswordsNeverLogged(t *testing.T) {
	pgURL, schema := testenv.PostgresSchema(t)
	u, _ := url.Parse(pgURL)
	u.User = url.UserPassword(u.User.Username(), secret) // trust authentication ignores it
	q := u.Query()
	q.Set("schema", schema)
	q.Set("password", secret)
	u.RawQuery = q.Encode()
	c := startChild(t, freeAddr(t), map[string]string{"INFRAHUB_EVENTS_URL": u.String(), "INFRAHUB_LOG_LEVEL": "debug",
		"INFRAHUB_DATA": t.TempDir()})
	if err := c.stop(); err != nil {
		t.Fatal(err)
	}
	logs := c.logs.String()
	if strings.Contains(logs, secret) {
		t.Fatalf("the log leaks the password:\n%s", logs)
	}
	if !strings.Contains(logs, "password=xxxxx") || !strings.Contains(logs, ":xxxxx@") {
		t.Fatalf("the log does not show the redacted URL:\n%s", logs)
	}
}

// health is the body of /health.
type healthBody struct {
	Status       string   `json:"status"`
	Unavailable  []string `json:"unavailable"`
	Dependencies map[string]struct {
		Variable string `json:"variable"`
		OK       bool   `json:"ok"`
		Error    string `json:"error"`
		Attempts int    `json:"attempts"`
	} `json:"dependencies"`
}

func getHealth(t *testing.T, base string) (int, healthBody, string) {
	t.Helper()
	resp, err := http.Get(base + "/health")
	if err != nil {
		return 0, healthBody{}, err.Error()
	}
	defer resp.Body.Close()
	var raw json.RawMessage
	_ = json.NewDecoder(resp.Body).Decode(&raw)
	var h healthBody
	_ = json.Unmarshal(raw, &h)
	return resp.StatusCode, h, string(raw)
}

// A broker and a cache unreachable at start: the server keeps retrying, /health answers 503
// naming both with their cause (no password), commands are refused with 503 "unavailable"; once
// both come, the server becomes ready and takes commands.
func TestBrokerAndCacheLateAtStart(t *testing.T) {
	amqpURL := testenv.AMQPURL(t)
	redisURL := testenv.RedisURL(t)
	au, _ := url.Parse(amqpURL)
	ru, _ := url.Parse(redisURL)
	broker, cache := tcpproxy.Start(t, au.Host), tcpproxy.Start(t, ru.Host)
	broker.Cut()
	cache.Cut()
	au.Host, ru.Host = broker.Addr(), cache.Addr()
	ns := "late-" + testenv.RandomHex(4)
	topic := ns + ".events"
	t.Cleanup(func() { deleteQueues(t, amqpURL, topic, "late") })

	c := launchChild(t, freeAddr(t), map[string]string{"INFRAHUB_DATA": t.TempDir(), "INFRAHUB_BROKER_URL": au.String(),
		"INFRAHUB_BROKER_NAMESPACE": ns, "INFRAHUB_INSTANCE": "late", "INFRAHUB_CACHE_URL": ru.String()})
	var h healthBody
	eventually(t, 30*time.Second, "/health names both dependencies", func() (bool, string) {
		code, body, raw := getHealth(t, c.base)
		h = body
		return code == http.StatusServiceUnavailable && len(body.Unavailable) == 2 && body.Dependencies["broker"].Attempts >= 2, raw
	})
	for name, variable := range map[string]string{"broker": "INFRAHUB_BROKER_URL", "cache": "INFRAHUB_CACHE_URL"} {
		d := h.Dependencies[name]
		if d.OK || d.Variable != variable || d.Error == "" {
			t.Errorf("/health %s = %+v", name, d)
		}
	}
	if code, out := commandStatus(t, c.base, "diagnostic.record", map[string]any{"data": map[string]any{"n": 1}}); code != http.StatusServiceUnavailable ||
		out["error"].(map[string]any)["code"] != "unavailable" {
		t.Fatalf("a command while waiting: %d %v", code, out)
	}
	if c.exited() {
		t.Fatalf("serve exited while its broker was away:\n%s", c.logs.String())
	}

	broker.Restore()
	cache.Restore()
	eventually(t, 60*time.Second, "/health answers 200 once both are back", func() (bool, string) {
		code, _, raw := getHealth(t, c.base)
		return code == http.StatusOK, raw
	})
	if code, out := commandStatus(t, c.base, "diagnostic.record", map[string]any{"data": map[string]any{"n": 2}}); code != http.StatusOK {
		t.Fatalf("a command once ready: %d %v", code, out)
	}
	if err := c.stop(); err != nil {
		t.Fatal(err)
	}
}

// exited reports whether the process has ended.
func (c *child) exited() bool {
	select {
	case err := <-c.done:
		c.done <- err
		return true
	default:
		return false
	}
}

// deleteQueues removes the exchange of topic and the projections' queues of instances.
func deleteQueues(t *testing.T, amqpURL, topic string, instances ...string) {
	deleteTopology(t, amqpURL, topic, nil, instances...)
}

// deleteTopology deletes what the servers of a test deployment declared in RabbitMQ: the events
// exchange topic with the projection queues of each instance and the queues in extra, and the
// task work and dead-letter queues of its namespace.
func deleteTopology(t *testing.T, amqpURL, topic string, extra []string, instances ...string) {
	queues := extra
	for _, in := range instances {
		for _, p := range []string{counter.Name, nodes.Name, tasks.Name} {
			queues = append(queues, bus.QueueName(topic, projections.ConsumerName(p)+"@"+in))
		}
	}
	testenv.DeleteAMQPTopology(t, amqpURL, topic, queues...)
	ns := strings.TrimSuffix(topic, ".events")
	testenv.DeleteAMQPTopology(t, amqpURL, ns+".tasks", bus.QueueName(ns+".tasks", bus.GroupWorkers))
	testenv.DeleteAMQPTopology(t, amqpURL, ns+".tasks.dead", bus.QueueName(ns+".tasks.dead", bus.GroupDead))
}
