package bus_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/google/uuid"

	"github.com/infrahub-go/infrahub/events/bus"
	"github.com/infrahub-go/infrahub/internal/pipelinetest"
	"github.com/infrahub-go/infrahub/internal/testenv"
	"github.com/infrahub-go/infrahub/tlsconfig"
)

func ctxT(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		url     string
		tls     tlsconfig.Options
		wantErr string
	}{
		{url: "mem://"},
		{url: "amqp://guest:guest@localhost:5672/"},
		{url: "amqps://guest:guest@localhost:5671/vhost"},
		{url: "amqp://guest:guest@localhost/", tls: tlsconfig.Options{Enabled: true, Insecure: true}},
		{url: "", wantErr: "empty"},
		{url: "kafka://localhost:9092", wantErr: `unsupported scheme "kafka"`},
		{url: "localhost:5672", wantErr: `unsupported scheme "localhost"`},
		{url: "/just/a/path", wantErr: "no scheme"},
		{url: "amqp:///vhost", wantErr: "no host"},
		{url: "mem://somewhere", wantErr: "mem:// takes no host"},
		{url: "amqp://u:secret@h:99999999/", wantErr: "port"},
		{url: "amqps://h/", tls: tlsconfig.Options{CAFile: "/does/not/exist.pem"}, wantErr: "CA file"},
	}
	for _, tc := range tests {
		t.Run(tc.url, func(t *testing.T) {
			err := bus.Config{URL: tc.url, TLS: tc.tls}.Validate()
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Validate = %v, want an error containing %q", err, tc.wantErr)
			}
			if strings.Contains(err.Error(), "secret") {
				t.Fatalf("error leaks the password: %v", err)
			}
			if !strings.Contains(tc.wantErr, "CA file") && !errors.Is(err, bus.ErrBadURL) {
				t.Fatalf("error %v does not wrap ErrBadURL", err)
			}
		})
	}
}

func TestOpenBadURL(t *testing.T) {
	_, err := bus.Open(context.Background(), "nats://localhost", nil)
	if !errors.Is(err, bus.ErrBadURL) || !strings.Contains(err.Error(), "nats") {
		t.Fatalf("Open = %v, want ErrBadURL naming the scheme", err)
	}
}

func publishN(t *testing.T, pub message.Publisher, topic string, from, to int) {
	t.Helper()
	for i := from; i < to; i++ {
		msg := message.NewMessage(uuid.NewString(), []byte(fmt.Sprint(i)))
		if err := pub.Publish(topic, msg); err != nil {
			t.Fatalf("publish %d: %v", i, err)
		}
	}
}

// collect acks n messages from ch and returns their payloads sorted.
func collect(t *testing.T, ch <-chan *message.Message, n int) []string {
	t.Helper()
	var got []string
	timeout := time.After(20 * time.Second)
	for len(got) < n {
		select {
		case msg, ok := <-ch:
			if !ok {
				t.Fatalf("subscription closed after %d of %d messages", len(got), n)
			}
			got = append(got, string(msg.Payload))
			msg.Ack()
		case <-timeout:
			t.Fatalf("timed out after %d of %d messages", len(got), n)
		}
	}
	sort.Strings(got)
	return got
}

func want(from, to int) []string {
	var out []string
	for i := from; i < to; i++ {
		out = append(out, fmt.Sprint(i))
	}
	sort.Strings(out)
	return out
}

func equal(a, b []string) bool { return strings.Join(a, ",") == strings.Join(b, ",") }

func TestMemPubSub(t *testing.T) {
	ctx := ctxT(t, 30*time.Second)
	b, err := bus.Open(ctx, "mem://", pipelinetest.QuietLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if b.Kind() != "mem" {
		t.Fatalf("Kind = %q", b.Kind())
	}
	topic := "t." + uuid.NewString()
	a, err := b.Subscribe(ctx, topic, "a")
	if err != nil {
		t.Fatal(err)
	}
	c, err := b.Subscribe(ctx, topic, "b")
	if err != nil {
		t.Fatal(err)
	}
	publishN(t, b.Publisher(), topic, 0, 100)
	if got := collect(t, a, 100); !equal(got, want(0, 100)) {
		t.Fatalf("a got %v", got)
	}
	if got := collect(t, c, 100); !equal(got, want(0, 100)) {
		t.Fatalf("b got %v", got)
	}

	// A nacked message comes back.
	publishN(t, b.Publisher(), topic, 100, 101)
	msg := <-a
	msg.Nack()
	if got := collect(t, a, 1); !equal(got, []string{"100"}) {
		t.Fatalf("redelivery = %v", got)
	}
	collect(t, c, 1)

	if _, err := b.Subscribe(ctx, topic, ""); err == nil {
		t.Fatal("Subscribe without a consumer name succeeded")
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if _, ok := <-a; ok {
		t.Fatal("subscription still open after Close")
	}
	if _, err := b.Subscribe(ctx, topic, "a"); err == nil {
		t.Fatal("Subscribe after Close succeeded")
	}
}

func TestAMQPPubSub(t *testing.T) {
	amqpURL := testenv.AMQPURL(t)
	ctx := ctxT(t, 60*time.Second)
	b, err := bus.Open(ctx, amqpURL, pipelinetest.QuietLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if b.Kind() != "amqp" {
		t.Fatalf("Kind = %q", b.Kind())
	}
	topic := "test." + uuid.NewString()
	t.Cleanup(func() {
		testenv.DeleteAMQPTopology(t, amqpURL, topic, bus.QueueName(topic, "a"), bus.QueueName(topic, "b"))
	})

	subCtx, cancelA := context.WithCancel(ctx)
	a, err := b.Subscribe(subCtx, topic, "a")
	if err != nil {
		t.Fatal(err)
	}
	c, err := b.Subscribe(ctx, topic, "b")
	if err != nil {
		t.Fatal(err)
	}
	publishN(t, b.Publisher(), topic, 0, 50)
	if got := collect(t, a, 50); !equal(got, want(0, 50)) {
		t.Fatalf("a got %v", got)
	}
	if got := collect(t, c, 50); !equal(got, want(0, 50)) {
		t.Fatalf("b got %v", got)
	}

	// Consumer a goes away; its durable queue keeps what is published meanwhile.
	cancelA()
	for range a { //nolint:revive // drain until closed
	}
	publishN(t, b.Publisher(), topic, 50, 80)
	if got := collect(t, c, 30); !equal(got, want(50, 80)) {
		t.Fatalf("b got %v", got)
	}
	a, err = b.Subscribe(ctx, topic, "a")
	if err != nil {
		t.Fatal(err)
	}
	if got := collect(t, a, 30); !equal(got, want(50, 80)) {
		t.Fatalf("a after resubscribe got %v", got)
	}

	// A nacked message is delivered again.
	publishN(t, b.Publisher(), topic, 80, 81)
	msg := <-a
	msg.Nack()
	if got := collect(t, a, 1); !equal(got, []string{"80"}) {
		t.Fatalf("redelivery = %v", got)
	}
	collect(t, c, 1)
}

// Concurrent publishes share the channel pool and each waits for its confirm.
func TestAMQPConcurrentPublish(t *testing.T) {
	amqpURL := testenv.AMQPURL(t)
	ctx := ctxT(t, 60*time.Second)
	b, err := bus.New(ctx, bus.Config{URL: amqpURL, Window: 4}, pipelinetest.QuietLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	topic := "test." + uuid.NewString()
	t.Cleanup(func() { testenv.DeleteAMQPTopology(t, amqpURL, topic, bus.QueueName(topic, "only")) })
	sub, err := b.Subscribe(ctx, topic, "only")
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 10)
	for g := 0; g < 10; g++ {
		go func() {
			for i := g * 20; i < (g+1)*20; i++ {
				if err := b.Publisher().Publish(topic, message.NewMessage(uuid.NewString(), []byte(fmt.Sprint(i)))); err != nil {
					errc <- err
					return
				}
			}
			errc <- nil
		}()
	}
	for g := 0; g < 10; g++ {
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
	}
	if got := collect(t, sub, 200); !equal(got, want(0, 200)) {
		t.Fatalf("got %d messages, want 0..199", len(got))
	}
}

func TestAMQPUnreachable(t *testing.T) {
	ctx := ctxT(t, 30*time.Second)
	_, err := bus.Open(ctx, "amqp://guest:secret@127.0.0.1:1/", pipelinetest.QuietLogger(t))
	if err == nil {
		t.Fatal("Open of a closed port succeeded")
	}
	if strings.Contains(err.Error(), "secret") {
		t.Fatalf("error leaks the password: %v", err)
	}
}

// amqps:// against the plain-text port must fail during the TLS handshake, not hang.
func TestAMQPSHandshakeFails(t *testing.T) {
	amqpURL := testenv.AMQPURL(t)
	ctx := ctxT(t, 30*time.Second)
	_, err := bus.New(ctx, bus.Config{URL: amqpURL, TLS: tlsconfig.Options{Enabled: true, Insecure: true}}, pipelinetest.QuietLogger(t))
	if err == nil {
		t.Fatal("TLS to a plain AMQP port succeeded")
	}
}

func TestTLSCAFile(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.pem")
	if err := os.WriteFile(bad, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := ctxT(t, 10*time.Second)
	// The CA file is read before dialing: a file without a certificate is an error of its own.
	_, err := bus.New(ctx, bus.Config{URL: "amqps://guest:guest@127.0.0.1:1/", TLS: tlsconfig.Options{CAFile: bad}}, nil)
	if err == nil || !strings.Contains(err.Error(), "no PEM certificate") {
		t.Fatalf("New with a bad CA file = %v", err)
	}

	good := filepath.Join(dir, "ca.pem")
	writeCA(t, good)
	_, err = bus.New(ctx, bus.Config{URL: "amqps://guest:guest@127.0.0.1:1/", TLS: tlsconfig.Options{CAFile: good}}, nil)
	if err == nil || strings.Contains(err.Error(), "CA file") {
		t.Fatalf("New with a good CA file and no broker = %v, want a dial error", err)
	}
}

func writeCA(t *testing.T, path string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// A consumer's queue that nobody uses for QueueExpiry is deleted by RabbitMQ.
func TestAMQPQueueExpiry(t *testing.T) {
	amqpURL := testenv.AMQPURL(t)
	topic := "expiry-" + uuid.NewString()
	b, err := bus.New(ctxT(t, 10*time.Second), bus.Config{URL: amqpURL, QueueExpiry: time.Second}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	t.Cleanup(func() { testenv.DeleteAMQPTopology(t, amqpURL, topic, bus.QueueName(topic, "gone")) })
	sctx, cancel := context.WithCancel(context.Background())
	if _, err := b.Subscribe(sctx, topic, "gone"); err != nil {
		t.Fatal(err)
	}
	if !testenv.AMQPQueueExists(t, amqpURL, bus.QueueName(topic, "gone")) {
		t.Fatal("the consumer's queue was not declared")
	}
	cancel()
	// Looking at the queue (a passive declare) renews its lease: look less often than it expires.
	deadline := time.Now().Add(15 * time.Second)
	for {
		time.Sleep(3 * time.Second)
		if !testenv.AMQPQueueExists(t, amqpURL, bus.QueueName(topic, "gone")) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the unused queue still exists 15s after its consumer left (x-expires 1s)")
		}
	}
	if _, err := bus.New(ctxT(t, 5*time.Second), bus.Config{URL: amqpURL, QueueExpiry: -time.Second}, nil); err == nil {
		t.Fatal("a negative queue expiry was accepted")
	}
}
