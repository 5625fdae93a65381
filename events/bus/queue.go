package bus

import (
	"context"
	"fmt"
	"sync"

	wamqp "github.com/ThreeDotsLabs/watermill-amqp/v3/pkg/amqp"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/infrahub-go/infrahub/fault"
)

// Work queues of background tasks: the forwarder publishes each task.created event to
// TopicTasks, whose queue (QueueName(TopicTasks, GroupWorkers), "infrahub.tasks.workers") the
// workers share; a task that failed its last attempt goes to TopicTasksDead, kept in the queue
// "infrahub.tasks.dead.letters".
const (
	TopicTasks     = "infrahub.tasks"
	GroupWorkers   = "workers"
	TopicTasksDead = "infrahub.tasks.dead"
	GroupDead      = "dead.letters"
)

// QueuePrefetch is the AMQP prefetch count of each subscription of a work queue: one message at
// a time, so that a busy consumer leaves the next messages to the others and a consumer that
// stops holds no more than its messages in flight.
const QueuePrefetch = 1

// Redelivered reports whether msg was delivered before to a consumer that nacked it or went
// away without acking it (RabbitMQ's redelivered flag; set by the mem:// work queues too).
func Redelivered(msg *message.Message) bool { return wamqp.IsMessageRedelivered(msg) }

// queueConfig is the watermill configuration of the work queue of group on topic: the topology
// of Subscribe (a durable fanout exchange named topic, a durable queue bound to it) without
// x-expires, since a work queue holds work while no consumer runs. EnsureQueue and Queue
// declare the queue with this same configuration: RabbitMQ refuses a redeclaration with other
// arguments.
func (b *Bus) queueConfig(topic, group string) wamqp.Config {
	cfg := b.amqpCfg
	cfg.Queue.Arguments = nil
	name := QueueName(topic, group)
	cfg.Queue.GenerateName = func(string) string { return name }
	cfg.Consume.Qos.PrefetchCount = QueuePrefetch
	return cfg
}

func checkQueue(topic, group string) error {
	if topic == "" || group == "" {
		return fmt.Errorf("%w: bus queue: topic (%q) and group (%q) must be set", fault.ErrInvalid, topic, group)
	}
	return nil
}

// EnsureQueue declares the work queue of group on topic, so that what is published to topic
// from now on is kept until a consumer of Queue(topic, group) takes it. AMQP: the durable
// exchange, the durable queue QueueName(topic, group) (without expiry) and its binding.
// mem://: the group's queue in memory, which lives until the bus closes.
func (b *Bus) EnsureQueue(ctx context.Context, topic, group string) error {
	if err := checkQueue(topic, group); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if b.mem != nil {
		_, err := b.memGroup(topic, group)
		return err
	}
	if b.isClosed() {
		return ErrClosed
	}
	conn := b.subConn.Connection()
	if conn == nil || conn.IsClosed() {
		return fmt.Errorf("%w: bus ensure queue %s: broker not connected", fault.ErrUnavailable, QueueName(topic, group))
	}
	ch, err := conn.Channel()
	if err != nil {
		return fmt.Errorf("%w: bus ensure queue %s: %w", fault.ErrUnavailable, QueueName(topic, group), err)
	}
	defer ch.Close()
	cfg := b.queueConfig(topic, group)
	params := wamqp.BuildTopologyParams{Topic: topic, QueueName: QueueName(topic, group),
		ExchangeName: cfg.Exchange.GenerateName(topic), RoutingKey: cfg.QueueBind.GenerateRoutingKey(topic)}
	if err := cfg.TopologyBuilder.BuildTopology(ch, params, cfg, b.wlog); err != nil {
		return fmt.Errorf("bus ensure queue %s: %w", params.QueueName, err)
	}
	return nil
}

// Queue consumes the work queue of group on topic as one of competing consumers: each message
// goes to one consumer of the group, which holds up to n messages unacked at a time. The
// channel closes when ctx ends; the messages then unacked go back to the queue, for the other
// consumers (marked Redelivered). A nacked message goes back to the queue too.
//
// AMQP: n subscriptions (prefetch QueuePrefetch each) to the durable queue QueueName(topic,
// group), merged. mem://: the group's queue in memory (see EnsureQueue).
func (b *Bus) Queue(ctx context.Context, topic, group string, n int) (<-chan *message.Message, error) {
	if err := checkQueue(topic, group); err != nil {
		return nil, err
	}
	if n <= 0 {
		return nil, fmt.Errorf("%w: bus queue %s: %d messages in flight, want at least 1", fault.ErrInvalid, QueueName(topic, group), n)
	}
	if b.mem != nil {
		g, err := b.memGroup(topic, group)
		if err != nil {
			return nil, err
		}
		return g.consume(ctx, n), nil
	}
	sub, err := wamqp.NewSubscriberWithConnection(b.queueConfig(topic, group), b.wlog, b.subConn)
	if err != nil {
		return nil, fmt.Errorf("bus queue %s: %w", QueueName(topic, group), err)
	}
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil, ErrClosed
	}
	b.subs[sub] = struct{}{}
	b.mu.Unlock()
	out := make(chan *message.Message)
	var wg sync.WaitGroup
	for range n {
		ch, err := sub.Subscribe(ctx, topic)
		if err != nil {
			b.dropSubscriber(sub)
			return nil, fmt.Errorf("bus queue %s: %w", QueueName(topic, group), err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for msg := range ch {
				select {
				case out <- msg:
				case <-ctx.Done():
					msg.Nack()
				}
			}
		}()
	}
	context.AfterFunc(ctx, func() { b.dropSubscriber(sub) })
	go func() {
		wg.Wait()
		close(out)
	}()
	return out, nil
}

func (b *Bus) isClosed() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.closed
}

// memQueue is a mem:// work queue: one GoChannel subscription for the bus's life, whose
// messages are handed to one consumer each. GoChannel sends each message of a subscription
// from a goroutine of its own until it is acked (a nack sends it again), so messages wait
// there, several may be in flight at once, and a message nacked by a consumer comes back.
type memQueue struct {
	work chan *message.Message // the next message, to whichever consumer takes it
	done <-chan struct{}       // closed when the bus closes

	mu     sync.Mutex
	nacked map[string]bool // ids of messages nacked, delivered again as Redelivered
}

func (b *Bus) memGroup(topic, group string) (*memQueue, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, ErrClosed
	}
	key := QueueName(topic, group)
	if q, ok := b.queues[key]; ok {
		return q, nil
	}
	in, err := b.mem.Subscribe(context.Background(), topic)
	if err != nil {
		return nil, fmt.Errorf("bus queue %s: %w", key, err)
	}
	q := &memQueue{work: make(chan *message.Message), done: b.memDone, nacked: map[string]bool{}}
	b.queues[key] = q
	go q.pump(in)
	return q, nil
}

func (q *memQueue) pump(in <-chan *message.Message) {
	for msg := range in {
		q.mu.Lock()
		if q.nacked[msg.UUID] {
			msg.Metadata.Set(wamqp.MetadataRedeliveredKey, "true")
		}
		q.mu.Unlock()
		select {
		case q.work <- msg:
		case <-q.done:
			return
		}
	}
}

// consume hands messages of q to a new consumer, at most n unacked at a time, until ctx ends.
func (q *memQueue) consume(ctx context.Context, n int) <-chan *message.Message {
	out := make(chan *message.Message)
	slots := make(chan struct{}, n)
	go func() {
		defer close(out)
		for {
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				return
			case <-q.done:
				return
			}
			var msg *message.Message
			select {
			case msg = <-q.work:
			case <-ctx.Done():
				return
			case <-q.done:
				return
			}
			// The consumer gets a copy: its ack or nack, or the end of ctx, settles the original.
			c := msg.Copy()
			c.SetContext(ctx)
			go func() {
				defer func() { <-slots }()
				q.settle(ctx, msg, c)
			}()
			select {
			case out <- c:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out
}

func (q *memQueue) settle(ctx context.Context, orig, c *message.Message) {
	select {
	case <-c.Acked():
		q.forget(orig.UUID)
		orig.Ack()
		return
	case <-c.Nacked():
	case <-ctx.Done():
		select {
		case <-c.Acked(): // acked as the consumer stopped
			q.forget(orig.UUID)
			orig.Ack()
			return
		default:
		}
	case <-q.done:
		return
	}
	q.mu.Lock()
	q.nacked[orig.UUID] = true
	q.mu.Unlock()
	orig.Nack()
}

func (q *memQueue) forget(id string) {
	q.mu.Lock()
	delete(q.nacked, id)
	q.mu.Unlock()
}
