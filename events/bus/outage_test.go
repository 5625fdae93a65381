package bus_test

import (
	"errors"
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/google/uuid"

	"github.com/infrahub-go/infrahub/events/bus"
	"github.com/infrahub-go/infrahub/fault"
	"github.com/infrahub-go/infrahub/internal/pipelinetest"
	"github.com/infrahub-go/infrahub/internal/tcpproxy"
	"github.com/infrahub-go/infrahub/internal/testenv"
)

// The broker goes away (a proxy between the bus and RabbitMQ drops every connection and refuses
// new ones): publishes fail at once with fault.ErrUnavailable, Check names the cause, and once
// the broker is back the bus reconnects by itself: publishes succeed again and the subscription,
// through the same proxy, receives every message published before, during (retried) and after
// the outage (at least once).
func TestAMQPOutage(t *testing.T) {
	amqpURL := testenv.AMQPURL(t)
	u, _ := url.Parse(amqpURL)
	proxy := tcpproxy.Start(t, u.Host)
	u.Host = proxy.Addr()
	ctx := ctxT(t, 120*time.Second)
	b, err := bus.Open(ctx, u.String(), pipelinetest.QuietLogger(t))
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
	publishN(t, b.Publisher(), topic, 0, 10)
	if got := collect(t, sub, 10); !equal(got, want(0, 10)) {
		t.Fatalf("before the outage: %v", got)
	}
	if err := b.Check(); err != nil {
		t.Fatalf("Check while connected: %v", err)
	}

	proxy.Cut()
	deadline := time.Now().Add(10 * time.Second)
	for b.Check() == nil && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if err := b.Check(); !errors.Is(err, fault.ErrUnavailable) {
		t.Fatalf("Check during the outage = %v, want an unavailable error", err)
	}
	start := time.Now()
	err = b.Publisher().Publish(topic, message.NewMessage(uuid.NewString(), []byte("lost")))
	if !errors.Is(err, fault.ErrUnavailable) {
		t.Fatalf("Publish during the outage = %v, want an unavailable error", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("a publish during the outage took %s to fail", d)
	}

	// Publishes retried through the outage (as the forwarder does) all land once it is back.
	done := make(chan error, 1)
	go func() {
		for i := 10; i < 30; i++ {
			msg := message.NewMessage(uuid.NewString(), []byte(fmt.Sprint(i)))
			for {
				err := b.Publisher().Publish(topic, msg)
				if err == nil {
					break
				}
				if !errors.Is(err, fault.ErrUnavailable) {
					done <- err
					return
				}
				time.Sleep(50 * time.Millisecond)
			}
		}
		done <- nil
	}()
	time.Sleep(1500 * time.Millisecond)
	proxy.Restore()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("publishes did not succeed within 60 s of the broker's return")
	}
	if err := b.Check(); err != nil {
		t.Fatalf("Check after the outage: %v", err)
	}
	// At least once: messages in flight at the cut may come again; every new one must come.
	missing := map[string]bool{}
	for _, w := range want(10, 30) {
		missing[w] = true
	}
	timeout := time.After(30 * time.Second)
	for len(missing) > 0 {
		select {
		case msg, ok := <-sub:
			if !ok {
				t.Fatal("the subscription closed")
			}
			delete(missing, string(msg.Payload))
			msg.Ack()
		case <-timeout:
			t.Fatalf("after the outage the subscription never got %v", missing)
		}
	}
}
