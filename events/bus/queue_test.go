package bus_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/google/uuid"
	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/infrahub-go/infrahub/events/bus"
	"github.com/infrahub-go/infrahub/fault"
	"github.com/infrahub-go/infrahub/internal/pipelinetest"
	"github.com/infrahub-go/infrahub/internal/testenv"
)

const group = "workers"

// queueCases open a bus and a topic of the test's own; the AMQP one sets QueueExpiry, which
// work queues must not take (RabbitMQ would refuse to redeclare a queue with other arguments).
var queueCases = []struct {
	name string
	open func(t *testing.T) (*bus.Bus, string)
}{
	{"mem", func(t *testing.T) (*bus.Bus, string) {
		b, err := bus.Open(context.Background(), "mem://", pipelinetest.QuietLogger(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = b.Close() })
		return b, "work." + uuid.NewString()
	}},
	{"amqp", func(t *testing.T) (*bus.Bus, string) {
		raw := testenv.AMQPURL(t)
		b, err := bus.New(context.Background(), bus.Config{URL: raw, QueueExpiry: time.Minute}, pipelinetest.QuietLogger(t))
		if err != nil {
			t.Fatal(err)
		}
		topic := "work." + uuid.NewString()
		t.Cleanup(func() {
			_ = b.Close()
			testenv.DeleteAMQPTopology(t, raw, topic, bus.QueueName(topic, group))
		})
		return b, topic
	}},
}

func next(t *testing.T, ch <-chan *message.Message) *message.Message {
	t.Helper()
	select {
	case msg, ok := <-ch:
		if !ok {
			t.Fatal("the queue closed")
		}
		return msg
	case <-time.After(20 * time.Second):
		t.Fatal("no message within 20s")
	}
	return nil
}

// Two consumers of one work queue share its messages: each message goes to exactly one of them.
// Consumer a holds its one message unacked, so every other message goes to b.
func TestQueueCompetingConsumers(t *testing.T) {
	for _, qc := range queueCases {
		t.Run(qc.name, func(t *testing.T) {
			b, topic := qc.open(t)
			ctx := ctxT(t, 60*time.Second)
			if err := b.EnsureQueue(ctx, topic, group); err != nil {
				t.Fatal(err)
			}
			a, err := b.Queue(ctx, topic, group, 1)
			if err != nil {
				t.Fatal(err)
			}
			c, err := b.Queue(ctx, topic, group, 4)
			if err != nil {
				t.Fatal(err)
			}
			publishN(t, b.Publisher(), topic, 0, 100)
			held := next(t, a)
			got := collect(t, c, 99)
			all := append([]string{string(held.Payload)}, got...)
			seen := map[string]int{}
			for _, p := range all {
				seen[p]++
			}
			for _, w := range want(0, 100) {
				if seen[w] != 1 {
					t.Fatalf("message %s was delivered %d times (a held %s)", w, seen[w], held.Payload)
				}
			}
			held.Ack()
			select {
			case msg := <-c:
				t.Fatalf("a 101st message: %s", msg.Payload)
			case msg := <-a:
				t.Fatalf("a 101st message: %s", msg.Payload)
			case <-time.After(300 * time.Millisecond):
			}
		})
	}
}

// A consumer whose context ends with a message unacked gives it back: another consumer of the
// group gets it, marked redelivered. A nacked message comes back too.
func TestQueueRedeliversWhenAConsumerStops(t *testing.T) {
	for _, qc := range queueCases {
		t.Run(qc.name, func(t *testing.T) {
			b, topic := qc.open(t)
			ctx := ctxT(t, 60*time.Second)
			if err := b.EnsureQueue(ctx, topic, group); err != nil {
				t.Fatal(err)
			}
			actx, stopA := context.WithCancel(ctx)
			a, err := b.Queue(actx, topic, group, 1)
			if err != nil {
				t.Fatal(err)
			}
			publishN(t, b.Publisher(), topic, 0, 1)
			first := next(t, a)
			if bus.Redelivered(first) {
				t.Fatal("a first delivery is marked redelivered")
			}
			c, err := b.Queue(ctx, topic, group, 1)
			if err != nil {
				t.Fatal(err)
			}
			stopA()
			for range a { //nolint:revive // drain until closed
			}
			again := next(t, c)
			if again.UUID != first.UUID || !bus.Redelivered(again) {
				t.Fatalf("after a stopped, b got %s (redelivered %v), want %s redelivered", again.UUID, bus.Redelivered(again), first.UUID)
			}
			again.Nack()
			third := next(t, c)
			if third.UUID != first.UUID {
				t.Fatalf("after a nack, got %s, want %s", third.UUID, first.UUID)
			}
			third.Ack()
		})
	}
}

// EnsureQueue keeps what is published before any consumer subscribed; the AMQP queue is durable
// and has no expiry (a plain durable declaration of it is accepted as identical).
func TestEnsureQueueKeepsMessages(t *testing.T) {
	for _, qc := range queueCases {
		t.Run(qc.name, func(t *testing.T) {
			b, topic := qc.open(t)
			ctx := ctxT(t, 60*time.Second)
			if err := b.EnsureQueue(ctx, topic, group); err != nil {
				t.Fatal(err)
			}
			if err := b.EnsureQueue(ctx, topic, group); err != nil {
				t.Fatalf("a second EnsureQueue: %v", err)
			}
			publishN(t, b.Publisher(), topic, 0, 10)
			ch, err := b.Queue(ctx, topic, group, 2)
			if err != nil {
				t.Fatal(err)
			}
			if got := collect(t, ch, 10); !equal(got, want(0, 10)) {
				t.Fatalf("got %v", got)
			}
			if b.Kind() == "amqp" {
				declarePlain(t, bus.QueueName(topic, group))
			}
		})
	}
}

func declarePlain(t *testing.T, queue string) {
	t.Helper()
	conn, err := amqp.Dial(testenv.AMQPURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	defer ch.Close()
	if _, err := ch.QueueDeclare(queue, true, false, false, false, nil); err != nil {
		t.Fatalf("the work queue has arguments (x-expires?): %v", err)
	}
}

func TestQueueRefusesBadArguments(t *testing.T) {
	b, err := bus.Open(context.Background(), "mem://", nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := ctxT(t, 5*time.Second)
	for _, n := range []int{0, -1} {
		if _, err := b.Queue(ctx, "t", "g", n); !errors.Is(err, fault.ErrInvalid) {
			t.Fatalf("Queue with n=%d: %v", n, err)
		}
	}
	if err := b.EnsureQueue(ctx, "t", ""); !errors.Is(err, fault.ErrInvalid) {
		t.Fatalf("EnsureQueue without a group: %v", err)
	}
	_ = b.Close()
	if err := b.EnsureQueue(ctx, "t", "g"); !errors.Is(err, bus.ErrClosed) {
		t.Fatalf("EnsureQueue after Close: %v", err)
	}
}
