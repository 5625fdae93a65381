package forward

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/infrahub-go/infrahub/events"
)

// encoding/json spent most of a batch's encoding (about 5 µs per event of the HTTP create
// bench) compacting each payload again: a json.RawMessage is re-scanned byte by byte through
// its state machine. The payloads come from the log, which holds valid JSON only (an append
// checks it), so appendBatch writes them as they are, and writes the other fields of the
// envelope without reflection. For the log's usual envelopes (UTC times, ASCII names, compact
// payloads without <, > or &) the bytes are those json.Marshal writes (encode_test.go); a field
// it cannot write the same way cheaply is written by encoding/json.

// appendBatch appends the JSON of b (already validated) to dst.
func appendBatch(dst []byte, b Batch) ([]byte, error) {
	dst = append(dst, `{"from":`...)
	dst = strconv.AppendInt(dst, int64(b.From), 10)
	dst = append(dst, `,"to":`...)
	dst = strconv.AppendInt(dst, int64(b.To), 10)
	dst = append(dst, `,"events":[`...)
	for i := range b.Events {
		if i > 0 {
			dst = append(dst, ',')
		}
		var err error
		if dst, err = appendEnvelope(dst, &b.Events[i]); err != nil {
			return nil, err
		}
	}
	return append(dst, "]}"...), nil
}

// appendEnvelope appends the JSON of e as json.Marshal writes it, payload aside (written as
// the log holds it).
func appendEnvelope(dst []byte, e *events.Envelope) ([]byte, error) {
	if !plainTime(e.OccurredAt) || !plainTime(e.RecordedAt) {
		body, err := json.Marshal(e)
		return append(dst, body...), err
	}
	dst = append(dst, `{"global_position":`...)
	dst = strconv.AppendInt(dst, int64(e.GlobalPosition), 10)
	dst = append(dst, `,"stream":`...)
	dst = appendString(dst, string(e.Stream))
	dst = append(dst, `,"stream_version":`...)
	dst = strconv.AppendInt(dst, e.StreamVersion, 10)
	dst = append(dst, `,"event_id":"`...)
	dst = appendUUID(dst, e.EventID)
	dst = append(dst, `","type":`...)
	dst = appendString(dst, e.Type)
	dst = append(dst, `,"schema_version":`...)
	dst = strconv.AppendInt(dst, int64(e.SchemaVersion), 10)
	dst = append(dst, `,"occurred_at":"`...)
	dst = e.OccurredAt.AppendFormat(dst, time.RFC3339Nano)
	dst = append(dst, `","recorded_at":"`...)
	dst = e.RecordedAt.AppendFormat(dst, time.RFC3339Nano)
	dst = append(dst, `","metadata":{`...)
	m := &e.Metadata
	n := 0
	for _, f := range [...]struct{ name, v string }{
		{`"command_id":`, m.CommandID}, {`"correlation_id":`, m.CorrelationID},
		{`"causation_id":`, m.CausationID}, {`"actor":`, m.Actor}, {`"traceparent":`, m.TraceParent},
	} {
		if f.v == "" {
			continue // omitempty
		}
		if n > 0 {
			dst = append(dst, ',')
		}
		n++
		dst = append(dst, f.name...)
		dst = appendString(dst, f.v)
	}
	dst = append(dst, `},"payload":`...)
	if len(e.Payload) == 0 {
		dst = append(dst, "null"...)
	} else {
		dst = append(dst, e.Payload...)
	}
	return append(dst, '}'), nil
}

// appendUUID appends id in its canonical form (uuid.UUID.String, without allocating it).
func appendUUID(dst []byte, id uuid.UUID) []byte {
	const digits = "0123456789abcdef"
	for i, c := range id {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			dst = append(dst, '-')
		}
		dst = append(dst, digits[c>>4], digits[c&0xf])
	}
	return dst
}

// plainTime reports whether t.AppendFormat(RFC3339Nano) writes what t.MarshalJSON does (which
// refuses years beyond 4 digits and offsets of a day or more, or of seconds).
func plainTime(t time.Time) bool {
	_, off := t.Zone()
	y := t.Year()
	return y >= 0 && y <= 9999 && off%60 == 0 && off > -24*3600 && off < 24*3600
}

// appendString appends s quoted as encoding/json quotes it: as it is when every byte is printable
// ASCII that needs no escape (HTML's <, > and & are escaped by encoding/json), else through
// encoding/json.
func appendString(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // a string always encodes
			return append(dst, q...)
		}
	}
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"')
}
