package commands

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"

	"github.com/infrahub-go/infrahub/commands/payload"
	"github.com/infrahub-go/infrahub/fault"
	"github.com/infrahub-go/infrahub/limits"
)

// The command endpoint reads the common shape of a command body and writes the common shape of
// its answer without reflection; anything else goes through encoding/json, whose results (and
// errors) these fast paths reproduce exactly (httpjson_test.go compares them).

// bodies are the buffers request bodies are read into and answers written from. A buffer
// grown by a request goes back grown (bytes.Buffer.AvailableBuffer would lose what an append
// grew), so that a warm pool reads and writes without allocating.
var bodies = sync.Pool{New: func() any { return &bodyBuf{b: make([]byte, 0, 1024)} }}

type bodyBuf struct{ b []byte }

// maxPooledBody is the largest buffer put back in bodies.
const maxPooledBody = 64 << 10

func getBody() *bodyBuf { return bodies.Get().(*bodyBuf) }

func putBody(buf *bodyBuf) {
	if cap(buf.b) <= maxPooledBody {
		buf.b = buf.b[:0]
		bodies.Put(buf)
	}
}

// readCommand reads a request's command (ReadBody's rules: at most limit bytes, strictly).
func readCommand(w http.ResponseWriter, r *http.Request, limit int64, cmd *Command) error {
	if limit <= 0 {
		limit = limits.Default().BodyBytes
	}
	buf := getBody()
	defer putBody(buf)
	var err error
	if buf.b, err = readLimited(w, r.Body, limit, buf.b[:0]); err != nil {
		if tooLarge := new(http.MaxBytesError); errors.As(err, &tooLarge) {
			return fmt.Errorf("%w: the body is longer than %d bytes (INFRAHUB_MAX_BODY_BYTES)", limits.ErrExceeded, limit)
		}
		return fmt.Errorf("%w: body: %v", fault.ErrInvalid, err)
	}
	// Read to its end: closing it now spares the server, when it writes the answer's header,
	// the read it makes of a body left open to find its end (and that read's allocation).
	_ = r.Body.Close()
	if decodeCommand(buf.b, cmd) {
		return nil
	}
	*cmd = Command{}
	return readSlow(buf.b, cmd)
}

// readSlow reads body into cmd through payload.Read, which takes its value as an interface:
// decoding into a copy keeps the caller's Command (which every request has) off the heap.
//
//go:noinline
func readSlow(body []byte, cmd *Command) error {
	var c Command
	err := payload.Read(bytes.NewReader(body), &c, "body")
	*cmd = c
	return err
}

// readLimited is readAll(http.MaxBytesReader(w, body, limit), b) without allocating the
// MaxBytesReader of each request: body is read up to limit bytes, and only a body that reaches
// the limit reads on through one, which refuses a byte more (and tells the server to close the
// connection rather than read the rest, as it does for the whole body's MaxBytesReader).
func readLimited(w http.ResponseWriter, body io.ReadCloser, limit int64, b []byte) ([]byte, error) {
	base := len(b)
	for int64(len(b)-base) < limit {
		if len(b) == cap(b) {
			b = append(make([]byte, 0, 2*cap(b)+bytes.MinRead), b...)
		}
		room := b[len(b):cap(b)]
		if left := limit - int64(len(b)-base); int64(len(room)) > left {
			room = room[:left]
		}
		n, err := body.Read(room)
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
	return readAll(http.MaxBytesReader(w, body, 0), b)
}

// readAll appends what r reads to b until io.EOF, as bytes.Buffer.ReadFrom does: b grows only
// when it is full, doubling (as the buffer does; append's slower growth of large slices would
// allocate several times a large body's size before the limit refuses it).
func readAll(r io.Reader, b []byte) ([]byte, error) {
	for {
		if len(b) == cap(b) {
			b = append(make([]byte, 0, 2*cap(b)+bytes.MinRead), b...)
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
}

// decodeCommand reads body into cmd when it is one JSON object whose members are "type" and
// "id" (strings without escapes, in UTF-8) and "payload" (any value), followed by nothing but
// white space; it answers false for anything else. It reads the body with the batch decoder's
// scanners (batch_decode.go, batch_valid.go, batch_strings.go).
func decodeCommand(body []byte, cmd *Command) bool {
	if !validJSON(body) { // from here on the syntax is known to be right
		return false
	}
	return objectFields(body, func(key string, val []byte) bool {
		var ok bool
		switch key {
		case "type":
			cmd.Type, ok = opType(val)
		case "id":
			cmd.ID, ok = plainJSONString(val)
		case "payload":
			cmd.Payload, ok = bytes.Clone(val), true
		}
		return ok
	})
}

// writeResult answers res with status 200 as writeJSON does.
func writeResult(w http.ResponseWriter, res Result) {
	buf := getBody()
	defer putBody(buf)
	var ok bool
	if buf.b, ok = appendResult(buf.b[:0], res); !ok {
		writeJSON(w, http.StatusOK, res)
		return
	}
	// Header.Set's value, without allocating its list: the server copies the headers when it
	// writes them, and the list's capacity of 1 makes an Add copy it too.
	w.Header()["Content-Type"] = contentTypeJSON
	_, _ = w.Write(buf.b) // the status is 200
}

var contentTypeJSON = []string{"application/json"}[:1:1]

// appendResult appends res as json.Encoder writes it (with its newline); ok is false when res
// holds what only encoding/json writes (Data of another type than NodeOutcome, a string to
// escape).
func appendResult(b []byte, res Result) (_ []byte, ok bool) {
	b = append(b, '{')
	if res.CommandID != "" {
		if b, ok = appendField(b, "command_id", res.CommandID); !ok {
			return b, false
		}
		b = append(b, ',')
	}
	if b, ok = appendField(b, "stream", string(res.Stream)); !ok {
		return b, false
	}
	b = append(b, `,"positions":`...)
	if res.Positions == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, p := range res.Positions {
			if i > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendInt(b, int64(p), 10)
		}
		b = append(b, ']')
	}
	b = append(b, `,"stream_version":`...)
	b = strconv.AppendInt(b, res.StreamVersion, 10)
	if res.Duplicate {
		b = append(b, `,"duplicate":true`...)
	}
	switch d := res.Data.(type) {
	case nil:
	case NodeOutcome:
		b = append(b, `,"data":{`...)
		if b, ok = appendNodeOutcome(b, d); !ok {
			return b, false
		}
		b = append(b, '}')
	default:
		return b, false
	}
	return append(b, "}\n"...), true
}

func appendNodeOutcome(b []byte, n NodeOutcome) (_ []byte, ok bool) {
	if b, ok = appendField(b, "id", n.ID); !ok {
		return b, false
	}
	b = append(b, ',')
	if b, ok = appendField(b, "kind", n.Kind); !ok {
		return b, false
	}
	if len(n.HFID) > 0 {
		b = append(b, `,"hfid":[`...)
		for i, s := range n.HFID {
			if i > 0 {
				b = append(b, ',')
			}
			if b, ok = appendString(b, s); !ok {
				return b, false
			}
		}
		b = append(b, ']')
	}
	if n.DisplayLabel != "" {
		b = append(b, ',')
		if b, ok = appendField(b, "display_label", n.DisplayLabel); !ok {
			return b, false
		}
	}
	b = append(b, ',')
	return appendField(b, "outcome", n.Outcome)
}

// appendField appends "name":"value" (name needs no escaping).
func appendField(b []byte, name, value string) ([]byte, bool) {
	b = append(b, '"')
	b = append(b, name...)
	b = append(b, `":`...)
	return appendString(b, value)
}

// appendString appends s quoted when encoding/json would write it as it is: printable ASCII
// without a quote, a backslash or what it escapes for HTML (<, >, &).
func appendString(b []byte, s string) ([]byte, bool) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return b, false
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"'), true
}
