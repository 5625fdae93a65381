package subscribe

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/infrahub-go/infrahub/fault"
)

// The write side of a WebSocket: what a connection sends is queued in order (its outbox) and
// written by one goroutine, which writes every message waiting at once with one system call
// (the socket is corked meanwhile); a write deadline on the socket, renewed at most every
// quarter of the idle timeout, bounds a client that does not read. Events are rendered once
// per distinct subscription document (renderCache) and their message is the rendered data
// between the operation's prefix and suffix.

// outboxMax is how many messages may wait for a connection's writer: a sender waits beyond.
const outboxMax = 256

// outbox is a connection's queue of encoded messages.
type outbox struct {
	slots  chan struct{} // one per message waiting
	signal chan struct{} // wakes the writer
	done   chan struct{} // closed when the writer ends

	mu     sync.Mutex
	msgs   [][]byte
	closer *closeRequest // the close that ends the connection once msgs are written
}

type closeRequest struct {
	code   websocket.StatusCode
	reason string
	done   chan struct{}
}

func newOutbox() *outbox {
	return &outbox{slots: make(chan struct{}, outboxMax), signal: make(chan struct{}, 1), done: make(chan struct{})}
}

func (o *outbox) wake() {
	select {
	case o.signal <- struct{}{}:
	default:
	}
}

// sendRaw queues one encoded message; it waits while the outbox is full, and fails once the
// connection ended.
func (c *wsConn) sendRaw(raw []byte) error {
	select {
	case c.out.slots <- struct{}{}:
	case <-c.ctx.Done():
		return fmt.Errorf("%w: the client is gone", fault.ErrUnavailable)
	}
	c.out.mu.Lock()
	if c.out.closer != nil {
		c.out.mu.Unlock()
		<-c.out.slots
		return fmt.Errorf("%w: the connection is closing", fault.ErrUnavailable)
	}
	c.out.msgs = append(c.out.msgs, raw)
	c.out.mu.Unlock()
	c.out.wake()
	return nil
}

// close writes what the outbox holds, then closes the connection with a code and reason; it
// answers false (for handle).
func (c *wsConn) close(code websocket.StatusCode, reason string) bool {
	req := &closeRequest{code: code, reason: reason, done: make(chan struct{})}
	c.out.mu.Lock()
	first := c.out.closer == nil
	if first {
		c.out.closer = req
	}
	c.out.mu.Unlock()
	if first {
		c.out.wake()
		t := time.NewTimer(c.s.l.SubscriptionIdleTimeout)
		select { // the writer closes, or has ended (its connection gone)
		case <-req.done:
		case <-c.out.done:
		case <-t.C:
		}
		t.Stop()
	}
	c.cancel()
	return false
}

// writer writes the outbox until the connection ends or a close request is done.
func (c *wsConn) writer() {
	defer close(c.out.done)
	var batch [][]byte
	for {
		select {
		case <-c.ctx.Done():
			return
		case <-c.out.signal:
		}
		for {
			c.out.mu.Lock()
			batch = append(batch[:0], c.out.msgs...)
			clear(c.out.msgs)
			c.out.msgs = c.out.msgs[:0]
			closer := c.out.closer
			c.out.mu.Unlock()
			if len(batch) == 0 && closer == nil {
				break
			}
			err := c.writeBatch(batch)
			for i := range batch {
				batch[i] = nil
				<-c.out.slots
			}
			if err != nil {
				c.cancel()
				return
			}
			if closer != nil {
				c.out.mu.Lock()
				rest := len(c.out.msgs)
				c.out.mu.Unlock()
				if rest > 0 { // queued before the close was asked
					continue
				}
				_ = c.ws.Close(closer.code, closer.reason)
				close(closer.done)
				return
			}
		}
	}
}

// writeBatch writes msgs as one system call when the socket can be corked.
func (c *wsConn) writeBatch(msgs [][]byte) error {
	if len(msgs) == 0 {
		return nil
	}
	if c.sock != nil {
		c.sock.cork()
	}
	var err error
	for _, m := range msgs {
		// No context: the socket's write deadline bounds a write, and the connection's end
		// closes the socket.
		if err = c.ws.Write(context.Background(), websocket.MessageText, m); err != nil {
			break
		}
	}
	if c.sock != nil {
		if ferr := c.sock.uncork(); err == nil {
			err = ferr
		}
	}
	if err != nil {
		return fmt.Errorf("%w: the client is gone: %w", fault.ErrUnavailable, err)
	}
	return nil
}

// frame is an operation's message of data: {"id":<id>,"type":<typ>,"payload":{"data":<data>}}
// built without encoding: prefix, data, suffix.
type frame struct{ prefix []byte }

func newFrame(id, typ string) frame {
	qid, _ := json.Marshal(id) // a string always encodes
	qtyp, _ := json.Marshal(typ)
	p := append(append([]byte(`{"id":`), qid...), `,"type":`...)
	p = append(append(p, qtyp...), `,"payload":{"data":`...)
	return frame{prefix: p}
}

func (f frame) of(data []byte) []byte {
	out := make([]byte, 0, len(f.prefix)+len(data)+2)
	return append(append(append(out, f.prefix...), data...), '}', '}')
}

// renderCache holds the data of recent events as rendered by subscription documents, so that
// the subscriptions of one document render an event once. It keeps two generations of at most
// renderCacheSize entries each.
type renderCache struct {
	mu       sync.Mutex
	cur, old map[renderKey]*rendered
}

const renderCacheSize = 4096

type renderKey struct{ doc, event string }

type rendered struct {
	once sync.Once
	data []byte
}

func (rc *renderCache) get(doc, event string, render func() []byte) []byte {
	k := renderKey{doc, event}
	rc.mu.Lock()
	r := rc.cur[k]
	if r == nil {
		if r = rc.old[k]; r == nil {
			r = &rendered{}
		}
		if rc.cur == nil || len(rc.cur) >= renderCacheSize {
			rc.old, rc.cur = rc.cur, make(map[renderKey]*rendered, renderCacheSize)
		}
		rc.cur[k] = r
	}
	rc.mu.Unlock()
	r.once.Do(func() { r.data = render() })
	return r.data
}

// corkConn is a hijacked connection whose writes can be held (cork) and written at once
// (uncork); it renews the write deadline at most every quarter of the idle timeout.
type corkConn struct {
	net.Conn
	idle time.Duration

	mu       sync.Mutex
	corked   bool
	buf      []byte
	deadline time.Time // the write deadline set last
}

func (c *corkConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.corked {
		c.buf = append(c.buf, p...)
		return len(p), nil
	}
	if err := c.renew(); err != nil {
		return 0, err
	}
	return c.Conn.Write(p)
}

func (c *corkConn) renew() error {
	now := time.Now()
	if c.deadline.Sub(now) > c.idle*3/4 {
		return nil
	}
	c.deadline = now.Add(c.idle)
	return c.Conn.SetWriteDeadline(c.deadline)
}

func (c *corkConn) cork() {
	c.mu.Lock()
	c.corked = true
	c.mu.Unlock()
}

func (c *corkConn) uncork() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.corked = false
	if len(c.buf) == 0 {
		return nil
	}
	err := c.renew()
	if err == nil {
		_, err = c.Conn.Write(c.buf)
	}
	if cap(c.buf) > 64<<10 {
		c.buf = nil
	} else {
		c.buf = c.buf[:0]
	}
	return err
}

// corkWriter hands coder/websocket a corkConn when it hijacks the connection.
type corkWriter struct {
	http.ResponseWriter
	idle time.Duration
	conn *corkConn
}

func (w *corkWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := w.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, fmt.Errorf("%w: the response cannot be hijacked", fault.ErrUnavailable)
	}
	nc, brw, err := hj.Hijack()
	if err != nil {
		return nil, nil, err
	}
	if err := brw.Writer.Flush(); err != nil { // what the server buffered goes first
		_ = nc.Close()
		return nil, nil, err
	}
	w.conn = &corkConn{Conn: nc, idle: w.idle}
	return w.conn, bufio.NewReadWriter(brw.Reader, bufio.NewWriterSize(w.conn, 4096)), nil
}
