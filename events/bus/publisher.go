package bus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	wamqp "github.com/ThreeDotsLabs/watermill-amqp/v3/pkg/amqp"
	"github.com/ThreeDotsLabs/watermill/message"
	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/infrahub-go/infrahub/backoff"
	"github.com/infrahub-go/infrahub/fault"
)

// DefaultPublishTimeout bounds one publish, confirm included.
const DefaultPublishTimeout = 30 * time.Second

// ErrClosed is returned by a closed bus.
var ErrClosed = errors.New("bus is closed")

// publisher publishes to RabbitMQ over a connection of its own, with publisher confirms, in the
// message format of Watermill's subscribers. When the connection drops it redials in the
// background (backoff up to 5 s) until it is back or the bus closes; meanwhile a publish fails at
// once with fault.ErrUnavailable and the caller (the forwarder) retries. A publish never waits on a
// dead connection longer than the publish timeout. Up to window confirm channels are kept open
// for reuse, so that window publishes wait for their confirm in parallel.
type publisher struct {
	uri     string
	dialCfg amqp.Config
	cfg     wamqp.Config // exchange names, routing keys, marshaler, topology: as the subscribers'
	window  int
	timeout time.Duration
	log     *slog.Logger
	redial  time.Duration // cap of the backoff between dials

	mu        sync.Mutex
	conn      *amqp.Connection // nil while down
	gen       uint64           // bumped at each new connection
	lastErr   error            // why the connection is down
	downSince time.Time
	declared  map[string]bool // exchanges declared on conn
	idle      []*pubChannel
	closed    bool
	stop      chan struct{}
	done      chan struct{}
}

type pubChannel struct {
	ch  *amqp.Channel
	gen uint64
}

// newPublisher dials once (an error is returned, not retried) and starts the redialer.
func newPublisher(uri string, dialCfg amqp.Config, cfg wamqp.Config, window int, log *slog.Logger) (*publisher, error) {
	p := &publisher{uri: uri, dialCfg: dialCfg, cfg: cfg, window: window, timeout: DefaultPublishTimeout,
		log: log, redial: 5 * time.Second, declared: map[string]bool{}, stop: make(chan struct{}), done: make(chan struct{})}
	conn, err := amqp.DialConfig(uri, dialCfg)
	if err != nil {
		return nil, err
	}
	p.conn = conn
	go p.keep()
	return p, nil
}

// keep waits for the connection to drop, then redials until it is back or the bus closes.
func (p *publisher) keep() {
	defer close(p.done)
	for {
		p.mu.Lock()
		conn := p.conn
		p.mu.Unlock()
		if conn != nil {
			select {
			case <-p.stop:
				return
			case e := <-conn.NotifyClose(make(chan *amqp.Error, 1)):
				var err error = errors.New("connection closed")
				if e != nil {
					err = e
				}
				p.down(conn, err)
			}
		}
		for attempt := 0; ; attempt++ {
			select {
			case <-p.stop:
				return
			case <-time.After(backoff.Delay(attempt, p.redial)):
			}
			conn, err := amqp.DialConfig(p.uri, p.dialCfg)
			if err == nil {
				if !p.up(conn) {
					_ = conn.Close()
					return
				}
				break
			}
			p.mu.Lock()
			p.lastErr = err
			p.mu.Unlock()
			p.log.Warn("bus: broker unreachable, retrying", "attempt", attempt+1, "err", err)
		}
	}
}

// down forgets conn (if it is still the current connection) and its channels.
func (p *publisher) down(conn *amqp.Connection, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.conn != conn {
		return
	}
	p.conn, p.lastErr, p.downSince = nil, err, time.Now()
	for _, pc := range p.idle {
		_ = pc.ch.Close()
	}
	p.idle = nil
	_ = conn.Close()
	p.log.Warn("bus: lost the broker connection; publishes fail until it is back", "err", err)
}

// up installs a new connection; false when the bus closed meanwhile.
func (p *publisher) up(conn *amqp.Connection) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	p.conn, p.lastErr = conn, nil
	p.gen++
	p.declared = map[string]bool{}
	p.log.Info("bus: broker connection restored", "down_for", time.Since(p.downSince).Round(time.Millisecond))
	return true
}

// Check reports why publishing is impossible now (nil when connected).
func (p *publisher) Check() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case p.closed:
		return ErrClosed
	case p.conn == nil || p.conn.IsClosed():
		return fmt.Errorf("%w: broker not connected: %w", fault.ErrUnavailable, p.lastErrLocked())
	}
	return nil
}

func (p *publisher) lastErrLocked() error {
	if p.lastErr == nil {
		return errors.New("connection closed")
	}
	return p.lastErr
}

// Publish publishes each message and waits for the broker's confirm.
func (p *publisher) Publish(topic string, msgs ...*message.Message) error {
	exchange := p.cfg.Exchange.GenerateName(topic)
	key := p.cfg.Publish.GenerateRoutingKey(topic)
	for _, m := range msgs {
		if err := p.publish(exchange, key, m); err != nil {
			return fmt.Errorf("bus publish %s: %w", m.UUID, err)
		}
	}
	return nil
}

func (p *publisher) publish(exchange, key string, m *message.Message) error {
	body, err := p.cfg.Marshaler.Marshal(m)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(m.Context(), p.timeout)
	defer cancel()
	pc, err := p.channel(exchange)
	if err != nil {
		return err
	}
	dc, err := pc.ch.PublishWithDeferredConfirmWithContext(ctx, exchange, key, p.cfg.Publish.Mandatory, p.cfg.Publish.Immediate, body)
	if err != nil {
		_ = pc.ch.Close()
		return fmt.Errorf("%w: %w", fault.ErrUnavailable, err)
	}
	ok, err := dc.WaitContext(ctx)
	if err != nil || !ok {
		// The confirm may still come on this channel: never reuse it.
		_ = pc.ch.Close()
		if err == nil {
			err = errors.New("not confirmed by the broker")
		}
		return fmt.Errorf("%w: %w", fault.ErrUnavailable, err)
	}
	p.put(pc)
	return nil
}

// channel returns an idle confirm channel of the current connection, or opens one; the exchange
// is declared once per connection.
func (p *publisher) channel(exchange string) (*pubChannel, error) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, ErrClosed
	}
	conn, gen := p.conn, p.gen
	if conn == nil || conn.IsClosed() {
		err := p.lastErrLocked()
		p.mu.Unlock()
		return nil, fmt.Errorf("%w: broker not connected: %w", fault.ErrUnavailable, err)
	}
	var pc *pubChannel
	for pc == nil && len(p.idle) > 0 {
		c := p.idle[len(p.idle)-1]
		p.idle = p.idle[:len(p.idle)-1]
		if c.gen == gen && !c.ch.IsClosed() {
			pc = c
		} else {
			_ = c.ch.Close()
		}
	}
	declared := p.declared[exchange]
	p.mu.Unlock()
	if pc == nil {
		ch, err := conn.Channel()
		if err != nil {
			return nil, fmt.Errorf("%w: open channel: %w", fault.ErrUnavailable, err)
		}
		if err := ch.Confirm(false); err != nil {
			_ = ch.Close()
			return nil, fmt.Errorf("%w: confirm mode: %w", fault.ErrUnavailable, err)
		}
		pc = &pubChannel{ch: ch, gen: gen}
	}
	if !declared && exchange != "" {
		if err := p.cfg.TopologyBuilder.ExchangeDeclare(pc.ch, exchange, p.cfg); err != nil {
			_ = pc.ch.Close()
			return nil, fmt.Errorf("declare exchange %s: %w", exchange, err)
		}
		p.mu.Lock()
		if p.gen == gen {
			p.declared[exchange] = true
		}
		p.mu.Unlock()
	}
	return pc, nil
}

// put keeps pc for reuse while it belongs to the current connection and the pool has room.
func (p *publisher) put(pc *pubChannel) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || pc.gen != p.gen || len(p.idle) >= p.window {
		_ = pc.ch.Close()
		return
	}
	p.idle = append(p.idle, pc)
}

// Close closes the channels and the connection and stops redialing.
func (p *publisher) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	close(p.stop)
	for _, pc := range p.idle {
		_ = pc.ch.Close()
	}
	p.idle = nil
	conn := p.conn
	p.conn = nil
	p.mu.Unlock()
	<-p.done
	if conn != nil && !conn.IsClosed() {
		return conn.Close()
	}
	return nil
}
