// Package bus is the message bus port: an in-process Watermill GoChannel (mem://) or RabbitMQ
// (amqp://, amqps://), chosen by URL. On RabbitMQ the subscriptions are watermill-amqp's and the
// publisher is our own (publisher.go): one connection with confirm channels that redials when the
// broker goes away, in Watermill's message format. The event log's forwarder publishes
// batches of events to TopicEvents; projectors and other consumers subscribe under a consumer
// name. Work queues (queue.go: EnsureQueue, Queue) share each message among competing consumers
// of a group instead: background tasks travel through them. The bus delivers at least once and in no guaranteed order: consumers are idempotent and
// go back to the log when they see a gap.
package bus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	wamqp "github.com/ThreeDotsLabs/watermill-amqp/v3/pkg/amqp"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/pubsub/gochannel"
	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/infrahub-go/infrahub/redact"
	"github.com/infrahub-go/infrahub/tlsconfig"
)

// TopicEvents is the topic the forwarder publishes log batches to.
const TopicEvents = "infrahub.events"

// Defaults of Config.
const (
	DefaultWindow      = 8
	DefaultBuffer      = 256
	DefaultPrefetch    = 32
	DefaultDialTimeout = 10 * time.Second
)

// Config of a bus.
type Config struct {
	// URL selects the adapter: mem://, amqp://user:pass@host:port/vhost or amqps://...
	URL string
	// TLS to the broker (INFRAHUB_BROKER_TLS_*). amqps:// always uses TLS; Enabled turns an
	// amqp:// URL into amqps://.
	TLS tlsconfig.Options
	// Window is the number of AMQP channels in the publisher's pool, each with publisher
	// confirms: up to Window publishes wait for their confirm in parallel. Default 8.
	Window int
	// Buffer is the output channel buffer of each mem:// subscription. Default 256.
	Buffer int
	// Prefetch is the AMQP prefetch count of each subscription. Default 32.
	Prefetch int
	// QueueExpiry, when set, lets RabbitMQ delete a consumer's queue after it was unused that
	// long (x-expires): queues of processes that are gone for good do not pile up. A consumer
	// that comes back later catches up from the log. 0 keeps queues forever.
	QueueExpiry time.Duration
	// ConnectionName is shown by RabbitMQ for the bus's connections. Default "infrahub".
	ConnectionName string
}

func (c Config) withDefaults() Config {
	if c.Window <= 0 {
		c.Window = DefaultWindow
	}
	if c.Buffer <= 0 {
		c.Buffer = DefaultBuffer
	}
	if c.Prefetch <= 0 {
		c.Prefetch = DefaultPrefetch
	}
	if c.ConnectionName == "" {
		c.ConnectionName = "infrahub"
	}
	return c
}

// Validate checks the URL and the TLS options without connecting.
func (c Config) Validate() error {
	if c.QueueExpiry < 0 {
		return fmt.Errorf("bus: queue expiry %s is negative", c.QueueExpiry)
	}
	_, err := c.parse()
	return err
}

// ErrBadURL is wrapped by every error about the bus URL.
var ErrBadURL = errors.New("bad bus URL")

type target struct {
	scheme string // "mem" or "amqp"
	uri    string // for amqp: the URI handed to the driver (scheme amqp or amqps)
	tls    bool
}

func (c Config) parse() (target, error) {
	if c.URL == "" {
		return target{}, fmt.Errorf("%w: empty, want mem://, amqp://... or amqps://...", ErrBadURL)
	}
	u, err := url.Parse(c.URL)
	if err != nil {
		// url.Parse repeats the input in its message, which may hold a password: drop it.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return target{}, fmt.Errorf("%w: %v", ErrBadURL, err)
	}
	switch strings.ToLower(u.Scheme) {
	case "mem":
		if u.Host != "" || (u.Path != "" && u.Path != "/") {
			return target{}, fmt.Errorf("%w: %s: mem:// takes no host or path", ErrBadURL, redact.URL(c.URL))
		}
		return target{scheme: "mem"}, nil
	case "amqp", "amqps":
		if u.Hostname() == "" {
			return target{}, fmt.Errorf("%w: %s: no host", ErrBadURL, redact.URL(c.URL))
		}
		if p := u.Port(); p != "" {
			if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
				return target{}, fmt.Errorf("%w: %s: port %q out of range", ErrBadURL, redact.URL(c.URL), p)
			}
		}
		secure := strings.EqualFold(u.Scheme, "amqps") || c.TLS.Enabled
		u.Scheme = "amqp"
		if secure {
			u.Scheme = "amqps"
		}
		if _, err := amqp.ParseURI(u.String()); err != nil {
			return target{}, fmt.Errorf("%w: %s: %v", ErrBadURL, redact.URL(c.URL), err)
		}
		if secure && c.TLS.CAFile != "" {
			if _, err := os.Stat(c.TLS.CAFile); err != nil {
				return target{}, fmt.Errorf("bus TLS CA file: %w", err)
			}
		}
		return target{scheme: "amqp", uri: u.String(), tls: secure}, nil
	case "":
		return target{}, fmt.Errorf("%w: %s: no scheme, want mem://, amqp:// or amqps://", ErrBadURL, redact.URL(c.URL))
	default:
		return target{}, fmt.Errorf("%w: %s: unsupported scheme %q, want mem://, amqp:// or amqps://", ErrBadURL, redact.URL(c.URL), u.Scheme)
	}
}

// Bus is an open message bus.
type Bus struct {
	cfg    Config
	kind   string
	wlog   watermill.LoggerAdapter
	logger *slog.Logger

	mem     *gochannel.GoChannel
	memDone chan struct{}        // closed by Close: ends the mem:// work queues
	queues  map[string]*memQueue // mem:// work queues by queue name

	amqpCfg   wamqp.Config
	publisher *publisher
	subConn   *wamqp.ConnectionWrapper

	mu     sync.Mutex
	subs   map[*wamqp.Subscriber]struct{}
	closed bool
}

// Open opens the bus at rawURL with default options.
func Open(ctx context.Context, rawURL string, logger *slog.Logger) (*Bus, error) {
	return New(ctx, Config{URL: rawURL}, logger)
}

// New opens the bus described by cfg. For AMQP it connects the publisher and the subscribers'
// connection before returning.
func New(ctx context.Context, cfg Config, logger *slog.Logger) (*Bus, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	tg, err := cfg.parse()
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	b := &Bus{
		cfg:    cfg,
		kind:   tg.scheme,
		logger: logger,
		wlog:   newWatermillLog(logger.With("component", "bus")),
		subs:   map[*wamqp.Subscriber]struct{}{},
	}
	if tg.scheme == "mem" {
		b.mem = gochannel.NewGoChannel(gochannel.Config{OutputChannelBuffer: int64(cfg.Buffer), Persistent: false}, b.wlog)
		b.memDone, b.queues = make(chan struct{}), map[string]*memQueue{}
		return b, nil
	}
	if err := b.openAMQP(tg); err != nil {
		return nil, err
	}
	return b, nil
}

func (b *Bus) openAMQP(tg target) error {
	props := amqp.NewConnectionProperties()
	props.SetClientConnectionName(b.cfg.ConnectionName)
	ac := &amqp.Config{Locale: "en_US", Properties: props, Dial: amqp.DefaultDial(DefaultDialTimeout)}
	if tg.tls {
		tc, err := b.cfg.TLS.Client("")
		if err != nil {
			return fmt.Errorf("bus %w", err)
		}
		ac.TLSClientConfig = tc
	}
	cfg := wamqp.NewDurablePubSubConfig(tg.uri, nil)
	cfg.Connection.AmqpConfig = ac
	cfg.Publish.ChannelPoolSize = b.cfg.Window
	cfg.Publish.ConfirmDelivery = true
	cfg.Consume.Qos.PrefetchCount = b.cfg.Prefetch
	// The subscribers' connection redials at most 5 s apart (Watermill's default grows to 60 s),
	// so that consumption resumes soon after the broker is back, as publishing does.
	reconnect := wamqp.DefaultReconnectConfig()
	reconnect.BackoffMaxInterval = 5 * time.Second
	cfg.Connection.Reconnect = reconnect
	if b.cfg.QueueExpiry > 0 {
		cfg.Queue.Arguments = amqp.Table{"x-expires": b.cfg.QueueExpiry.Milliseconds()}
	}
	b.amqpCfg = cfg

	redacted := redact.URL(tg.uri)
	pub, err := newPublisher(tg.uri, *ac, cfg, b.cfg.Window, b.logger.With("component", "bus"))
	if err != nil {
		return fmt.Errorf("bus %s: publisher: %w", redacted, err)
	}
	conn, err := wamqp.NewConnection(cfg.Connection, b.wlog)
	if err != nil {
		_ = pub.Close()
		return fmt.Errorf("bus %s: subscriber connection: %w", redacted, err)
	}
	b.publisher, b.subConn = pub, conn
	b.logger.Info("bus connected", "url", redacted, "window", b.cfg.Window, "tls", tg.tls)
	return nil
}

// Kind is "mem" or "amqp".
func (b *Bus) Kind() string { return b.kind }

// Publisher publishes to the bus. For AMQP every Publish returns once the broker confirmed
// each message (up to Window publishes wait in parallel), or fails with fault.ErrUnavailable
// while the broker is unreachable (the bus reconnects by itself); for mem:// it returns at once
// and a message with no subscriber is dropped.
func (b *Bus) Publisher() message.Publisher {
	if b.mem != nil {
		return b.mem
	}
	return b.publisher
}

// Check reports why the bus cannot publish now: nil when connected (always for mem://), an
// error wrapping fault.ErrUnavailable that names the cause while the broker is unreachable.
func (b *Bus) Check() error {
	if b.publisher == nil {
		return nil
	}
	return b.publisher.Check()
}

// Subscribe delivers the messages of topic to consumer until ctx ends, then closes the channel.
// Each message must be acked or nacked (a nacked message is delivered again).
//
// AMQP: the topic is a durable fanout exchange and consumer names a durable queue
// (topic + "." + consumer) bound to it, so messages published while the consumer is away wait
// for it, and subscriptions under one consumer name share the work. mem://: every subscription
// sees every message published while it is subscribed; consumer is only a label.
func (b *Bus) Subscribe(ctx context.Context, topic, consumer string) (<-chan *message.Message, error) {
	if topic == "" || consumer == "" {
		return nil, fmt.Errorf("bus subscribe: topic (%q) and consumer (%q) must be set", topic, consumer)
	}
	b.mu.Lock()
	closed := b.closed
	b.mu.Unlock()
	if closed {
		return nil, errors.New("bus subscribe: bus is closed")
	}
	if b.mem != nil {
		return b.mem.Subscribe(ctx, topic)
	}
	cfg := b.amqpCfg
	cfg.Queue.GenerateName = func(topic string) string { return QueueName(topic, consumer) }
	sub, err := wamqp.NewSubscriberWithConnection(cfg, b.wlog, b.subConn)
	if err != nil {
		return nil, fmt.Errorf("bus subscribe %s as %s: %w", topic, consumer, err)
	}
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil, errors.New("bus subscribe: bus is closed")
	}
	b.subs[sub] = struct{}{}
	b.mu.Unlock()
	ch, err := sub.Subscribe(ctx, topic)
	if err != nil {
		b.dropSubscriber(sub)
		return nil, fmt.Errorf("bus subscribe %s as %s: %w", topic, consumer, err)
	}
	context.AfterFunc(ctx, func() { b.dropSubscriber(sub) })
	return ch, nil
}

// QueueName is the AMQP queue of consumer on topic.
func QueueName(topic, consumer string) string { return topic + "." + consumer }

func (b *Bus) dropSubscriber(sub *wamqp.Subscriber) {
	b.mu.Lock()
	_, ok := b.subs[sub]
	delete(b.subs, sub)
	b.mu.Unlock()
	if ok {
		if err := sub.Close(); err != nil {
			b.logger.Warn("bus: close subscriber", "err", err)
		}
	}
}

// Close ends every subscription and closes the connections.
func (b *Bus) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	subs := b.subs
	b.subs = map[*wamqp.Subscriber]struct{}{}
	b.mu.Unlock()
	if b.mem != nil {
		close(b.memDone)
		return b.mem.Close()
	}
	var errs []error
	for sub := range subs {
		errs = append(errs, sub.Close())
	}
	errs = append(errs, b.publisher.Close(), b.subConn.Close())
	return errors.Join(errs...)
}
