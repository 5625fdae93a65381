package subscribe

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"time"

	"github.com/coder/websocket"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/infrahub-go/infrahub/authz"
	"github.com/infrahub-go/infrahub/fault"
	"github.com/infrahub-go/infrahub/limits"
	"github.com/infrahub-go/infrahub/queries/graphql"
	"github.com/infrahub-go/infrahub/redact"
)

// Sub-protocols.
const (
	// ProtoTransportWS is graphql-transport-ws (github.com/enisdenjo/graphql-ws, PROTOCOL.md).
	ProtoTransportWS = "graphql-transport-ws"
	// ProtoLegacyWS is graphql-ws of subscriptions-transport-ws (Apollo's legacy protocol).
	ProtoLegacyWS = "graphql-ws"
)

// Close codes of graphql-transport-ws.
const (
	closeBadRequest     websocket.StatusCode = 4400
	closeUnauthorized   websocket.StatusCode = 4401
	closeForbidden      websocket.StatusCode = 4403
	closeNotAcceptable  websocket.StatusCode = 4406
	closeInitTimeout    websocket.StatusCode = 4408
	closeSubscriberDup  websocket.StatusCode = 4409
	closeTooManyInitReq websocket.StatusCode = 4429
)

// message is a message of either protocol.
type message struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// wsConn is one WebSocket and its operations.
type wsConn struct {
	s      *Server
	ws     *websocket.Conn
	legacy bool
	branch string
	ctx    context.Context // the connection's: ends when it closes
	cancel context.CancelFunc

	out  *outbox   // what is sent, in order (writer writes it)
	sock *corkConn // the hijacked socket (nil when not ours)

	mu       sync.Mutex
	id       *authz.Identity
	initDone bool // connection_init received
	acked    bool
	ops      map[string]context.CancelFunc
}

func (s *Server) serveWS(w http.ResponseWriter, r *http.Request, branch string) {
	id, err := s.identity(r)
	if err != nil {
		http.Error(w, redact.String(err.Error()), fault.Classify(err).Status)
		return
	}
	// The HTTP server's read and write timeouts are for requests, not for a connection that
	// lasts: the keep-alive and the idle timeout bound it instead.
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Time{})
	_ = rc.SetWriteDeadline(time.Time{})
	cw := &corkWriter{ResponseWriter: w, idle: s.l.SubscriptionIdleTimeout}
	ws, err := websocket.Accept(cw, r, &websocket.AcceptOptions{
		Subprotocols:       []string{ProtoTransportWS, ProtoLegacyWS},
		InsecureSkipVerify: true, // credentials are headers or connection_init payloads, never cookies
	})
	if err != nil {
		return // Accept answered the request
	}
	ws.SetReadLimit(s.l.SubscriptionMessageBytes)
	proto := ws.Subprotocol()
	if proto == "" {
		_ = ws.Close(closeNotAcceptable, "Subprotocol not acceptable: graphql-transport-ws or graphql-ws")
		return
	}
	ctx, cancel := context.WithCancel(authz.With(s.ctx, id))
	c := &wsConn{s: s, ws: ws, legacy: proto == ProtoLegacyWS, branch: branch, ctx: ctx, cancel: cancel,
		id: id, ops: map[string]context.CancelFunc{}, out: newOutbox(), sock: cw.conn}
	s.wg.Add(1)
	defer s.wg.Done()
	defer cancel()
	go c.writer()
	go c.keepalive()
	go func() { // the connection's end closes the socket (Close: going away), which ends read
		<-ctx.Done()
		if s.ctx.Err() != nil {
			_ = ws.Close(websocket.StatusGoingAway, "the server is stopping")
		} else {
			_ = ws.CloseNow()
		}
	}()
	c.read()
}

// read handles the client's messages until the connection ends.
func (c *wsConn) read() {
	init := time.AfterFunc(c.s.l.SubscriptionInitTimeout, func() {
		c.mu.Lock()
		done := c.initDone
		c.mu.Unlock()
		if !done {
			c.close(closeInitTimeout, "Connection initialisation timeout")
		}
	})
	defer init.Stop()
	for {
		// not c.ctx: a cancelled Read drops the connection without its close frame
		typ, data, err := c.ws.Read(context.Background())
		if err != nil { // closed by the client, by us, or beyond the read limit (coder/websocket closes with 1009)
			c.cancel()
			return
		}
		var m message
		if typ != websocket.MessageText || json.Unmarshal(data, &m) != nil || m.Type == "" {
			if c.legacy {
				c.send(message{Type: "error", Payload: errPayload("Invalid message received: a JSON object with a type")})
				continue
			}
			c.close(closeBadRequest, "Invalid message received")
			return
		}
		if !c.handle(m) {
			return
		}
	}
}

// handle answers one message; false ends the connection.
func (c *wsConn) handle(m message) bool {
	if c.legacy {
		return c.handleLegacy(m)
	}
	switch m.Type {
	case "connection_init":
		c.mu.Lock()
		again := c.initDone
		c.initDone = true
		c.mu.Unlock()
		if again {
			return c.close(closeTooManyInitReq, "Too many initialisation requests")
		}
		if err := c.authenticate(m.Payload); err != nil {
			return c.close(closeForbidden, "Forbidden")
		}
		c.mu.Lock()
		c.acked = true
		c.mu.Unlock()
		c.send(message{Type: "connection_ack"})
	case "ping":
		c.send(message{Type: "pong", Payload: m.Payload})
	case "pong":
	case "subscribe":
		c.mu.Lock()
		acked, dup := c.acked, c.ops[m.ID] != nil
		c.mu.Unlock()
		switch {
		case !acked:
			return c.close(closeUnauthorized, "Unauthorized")
		case m.ID == "":
			return c.close(closeBadRequest, "Invalid message received: subscribe without an id")
		case dup:
			return c.close(closeSubscriberDup, "Subscriber for "+m.ID+" already exists")
		}
		var req graphql.Request
		if json.Unmarshal(m.Payload, &req) != nil || req.Query == "" {
			return c.close(closeBadRequest, "Invalid message received: subscribe's payload has no query")
		}
		c.start(m.ID, req)
	case "complete":
		c.stop(m.ID)
	default:
		return c.close(closeBadRequest, "Invalid message received: unknown type "+m.Type)
	}
	return true
}

// handleLegacy answers one message of graphql-ws (subscriptions-transport-ws).
func (c *wsConn) handleLegacy(m message) bool {
	switch m.Type {
	case "connection_init":
		if err := c.authenticate(m.Payload); err != nil {
			c.send(message{Type: "connection_error", Payload: errPayload("Forbidden")})
			return c.close(closeForbidden, "Forbidden")
		}
		c.mu.Lock()
		c.initDone, c.acked = true, true
		c.mu.Unlock()
		c.send(message{Type: "connection_ack"})
		c.send(message{Type: "ka"})
	case "start":
		c.mu.Lock()
		acked := c.acked
		c.mu.Unlock()
		if !acked {
			c.send(message{ID: m.ID, Type: "error", Payload: errPayload("connection_init first")})
			return true
		}
		var req graphql.Request
		if m.ID == "" || json.Unmarshal(m.Payload, &req) != nil || req.Query == "" {
			c.send(message{ID: m.ID, Type: "error", Payload: errPayload("start needs an id and a payload with a query")})
			return true
		}
		c.stop(m.ID) // a start with the id of a running operation replaces it
		c.start(m.ID, req)
	case "stop":
		if c.stop(m.ID) {
			c.send(message{ID: m.ID, Type: "complete"})
		}
	case "connection_terminate":
		return c.close(websocket.StatusNormalClosure, "")
	default:
		c.send(message{ID: m.ID, Type: "error", Payload: errPayload("Invalid message type!")})
	}
	return true
}

func errPayload(msg string) json.RawMessage {
	raw, _ := json.Marshal(map[string]string{"message": msg})
	return raw
}

// authenticate takes the credentials of a connection_init payload ({"X-INFRAHUB-KEY": ...} or
// {"Authorization": "Bearer ..."}, also under "headers"), when it has some.
func (c *wsConn) authenticate(payload json.RawMessage) error {
	var p map[string]any
	if len(payload) == 0 || json.Unmarshal(payload, &p) != nil || p == nil {
		return nil
	}
	if h, ok := p["headers"].(map[string]any); ok {
		p = h
	}
	h := http.Header{}
	for k, v := range p {
		if s, ok := v.(string); ok && (http.CanonicalHeaderKey(k) == "X-Infrahub-Key" || http.CanonicalHeaderKey(k) == "Authorization") {
			h.Set(k, s)
		}
	}
	if len(h) == 0 || c.s.cfg.Authenticate == nil {
		return nil
	}
	id, err := c.s.cfg.Authenticate(c.ctx, h)
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.id = id
	c.mu.Unlock()
	return nil
}

// start validates and runs one operation.
func (c *wsConn) start(id string, req graphql.Request) {
	c.mu.Lock()
	n, ident := len(c.ops), c.id
	c.mu.Unlock()
	fail := func(errs gqlerror.List) { // both protocols: error with the list of errors, no complete
		_ = c.send(message{ID: id, Type: "error", Payload: jsonOf(errs)})
	}
	if n >= c.s.l.SubscriptionsPerConnection {
		fail(errorsOf(limits.Exceeded("the subscriptions of this connection", int64(n+1), int64(c.s.l.SubscriptionsPerConnection),
			"INFRAHUB_SUBSCRIPTIONS_PER_CONNECTION")))
		return
	}
	ctx := authz.With(c.ctx, ident)
	req.Branch = c.branch
	sub, resp := c.s.cfg.Executor.PrepareSubscription(ctx, req)
	if resp != nil {
		fail(resp.Errors)
		return
	}
	if err := c.s.acquire(); err != nil {
		fail(errorsOf(err))
		return
	}
	ctx, cancel := context.WithCancel(ctx)
	c.mu.Lock()
	c.ops[id] = cancel
	c.mu.Unlock()
	data := "next"
	if c.legacy {
		data = "data"
	}
	fr := newFrame(id, data)
	c.s.wg.Add(1)
	go func() {
		defer c.s.wg.Done()
		defer c.s.release()
		err := c.s.run(ctx, ident, sub, func(d json.RawMessage) error { return c.sendRaw(fr.of(d)) })
		if ctx.Err() != nil && err == nil { // stopped by the client or the connection's end
			c.forget(id)
			return
		}
		if err != nil {
			c.send(message{ID: id, Type: data, Payload: jsonOf(map[string]any{"data": nil, "errors": errorsOf(err)})})
		}
		if c.forget(id) {
			c.send(message{ID: id, Type: "complete"})
		}
	}()
}

// stop ends operation id; false when it was not running.
func (c *wsConn) stop(id string) bool {
	c.mu.Lock()
	cancel := c.ops[id]
	delete(c.ops, id)
	c.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	return cancel != nil
}

// forget removes operation id at its end; false when the client had stopped it already.
func (c *wsConn) forget(id string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	cancel, ok := c.ops[id]
	if ok {
		delete(c.ops, id)
		cancel()
	}
	return ok
}

func jsonOf(v any) json.RawMessage {
	raw, err := json.Marshal(v)
	if err != nil {
		return errPayload("the message could not be encoded")
	}
	return raw
}

// send queues one message.
func (c *wsConn) send(m message) error {
	raw, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return c.sendRaw(raw)
}

// keepalive pings the client every keep-alive interval (graphql-ws also gets ka messages) and
// closes the connection when a pong does not come within the idle timeout.
func (c *wsConn) keepalive() {
	t := time.NewTicker(c.s.l.SubscriptionKeepalive)
	defer t.Stop()
	for {
		select {
		case <-c.ctx.Done():
			return
		case <-t.C:
		}
		if c.legacy {
			c.mu.Lock()
			acked := c.acked
			c.mu.Unlock()
			if acked {
				_ = c.send(message{Type: "ka"})
			}
		}
		ctx, cancel := context.WithTimeout(c.ctx, c.s.l.SubscriptionIdleTimeout)
		err := c.ws.Ping(ctx)
		cancel()
		if err != nil {
			if c.ctx.Err() == nil {
				c.close(websocket.StatusPolicyViolation, "no pong within INFRAHUB_SUBSCRIPTION_IDLE_TIMEOUT")
			}
			return
		}
	}
}
