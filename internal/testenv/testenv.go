// Package testenv finds the real services that integration tests use (PostgreSQL, RabbitMQ,
// Redis). A missing service skips the test with a clear message, unless CI is set: then the
// test fails, so that CI can never pass by skipping. DeleteAMQPTopology removes what a test declared
// on the shared RabbitMQ.
package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	amqp "github.com/rabbitmq/amqp091-go"
)

// Default addresses; each may be overridden by an environment variable.
const (
	DefaultPostgresURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	DefaultAMQPURL     = "amqp://guest:guest@127.0.0.1:5672/"
	DefaultRedisURL    = "redis://127.0.0.1:6379/0"
)

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// InCI reports whether the tests run under CI=true (or 1).
func InCI() bool {
	v := os.Getenv("CI")
	return v == "true" || v == "1" || v == "True"
}

func missing(t testing.TB, service, addr string, err error) {
	t.Helper()
	if InCI() {
		t.Fatalf("%s is required under CI but is not reachable at %s: %v", service, addr, err)
	}
	t.Skipf("skipping: %s not reachable at %s (%v); start it or run with CI=true to make this a failure", service, addr, err)
}

func reachable(t testing.TB, service, raw string) {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("%s URL %q: %v", service, raw, err)
	}
	conn, err := net.DialTimeout("tcp", u.Host, 2*time.Second)
	if err != nil {
		missing(t, service, u.Host, err)
		return
	}
	_ = conn.Close()
}

// PostgresURL returns the test database URL (INFRAHUB_TEST_POSTGRES_URL) after checking that it
// answers.
func PostgresURL(t testing.TB) string {
	t.Helper()
	raw := env("INFRAHUB_TEST_POSTGRES_URL", DefaultPostgresURL)
	reachable(t, "PostgreSQL", raw)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, raw)
	if err != nil {
		missing(t, "PostgreSQL", raw, err)
	}
	_ = conn.Close(ctx)
	return raw
}

// PostgresSchema returns the test database URL and a new schema name that is dropped when the
// test ends, so that tests never see each other's tables.
func PostgresSchema(t testing.TB) (rawURL, schema string) {
	t.Helper()
	rawURL = PostgresURL(t)
	schema = "t_" + RandomHex(6)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, rawURL)
		if err != nil {
			return
		}
		defer conn.Close(ctx)
		_, _ = conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+schema+" CASCADE")
	})
	return rawURL, schema
}

// AMQPURL returns the RabbitMQ URL (INFRAHUB_TEST_AMQP_URL) after checking that it answers.
func AMQPURL(t testing.TB) string {
	t.Helper()
	raw := env("INFRAHUB_TEST_AMQP_URL", DefaultAMQPURL)
	reachable(t, "RabbitMQ", raw)
	return raw
}

// DeleteAMQPTopology deletes queues and then exchange from the RabbitMQ at amqpURL, so that a
// test leaves nothing behind on a shared broker. Call it from t.Cleanup, after closing the bus.
// Failures are logged, not reported: cleanup must not fail a test that passed.
func DeleteAMQPTopology(t testing.TB, amqpURL, exchange string, queues ...string) {
	t.Helper()
	conn, err := amqp.Dial(amqpURL)
	if err != nil {
		t.Logf("cleanup: %v", err)
		return
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		t.Logf("cleanup: %v", err)
		return
	}
	for _, q := range queues {
		if _, err := ch.QueueDelete(q, false, false, false); err != nil {
			t.Logf("cleanup queue: %v", err)
		}
	}
	if err := ch.ExchangeDelete(exchange, false, false); err != nil {
		t.Logf("cleanup exchange: %v", err)
	}
}

// AMQPQueueExists reports whether RabbitMQ has the queue (a passive declare).
func AMQPQueueExists(t testing.TB, amqpURL, queue string) bool {
	t.Helper()
	conn, err := amqp.Dial(amqpURL)
	if err != nil {
		t.Fatalf("dial RabbitMQ: %v", err)
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		t.Fatalf("RabbitMQ channel: %v", err)
	}
	defer ch.Close()
	_, err = ch.QueueDeclarePassive(queue, true, false, false, false, nil)
	var ae *amqp.Error
	if errors.As(err, &ae) && ae.Code == amqp.NotFound {
		return false
	}
	if err != nil {
		t.Fatalf("inspect queue %s: %v", queue, err)
	}
	return true
}

// RedisURL returns the Redis URL (INFRAHUB_TEST_REDIS_URL) after checking that it answers.
func RedisURL(t testing.TB) string {
	t.Helper()
	raw := env("INFRAHUB_TEST_REDIS_URL", DefaultRedisURL)
	reachable(t, "Redis", raw)
	return raw
}

// Corpus returns the path of ../shared/corpus (relative to the repository root) joined with
// elems. Real-world inputs live there; a missing corpus skips the test, or fails it under CI.
func Corpus(t testing.TB, elems ...string) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test's folder")
		}
		dir = parent
	}
	corpus := filepath.Join(filepath.Dir(dir), "shared", "corpus")
	if _, err := os.Stat(corpus); err != nil {
		missing(t, "the corpus", corpus, err)
	}
	return filepath.Join(append([]string{corpus}, elems...)...)
}

// RandomHex returns 2n random hex characters, for unique names.
func RandomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
