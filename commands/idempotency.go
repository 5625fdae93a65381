package commands

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/fault"
)

// ErrIdempotencyConflict refuses a command whose id the log holds for another command (another
// type or payload): answered 409 "idempotency_conflict".
var ErrIdempotencyConflict = fault.Coded(fault.ErrConflict, "idempotency conflict", "idempotency_conflict", "")

// hashOf identifies a command for its id: its type and its payload in canonical form (keys sorted,
// no insignificant space), so that a retry sent by another client library, with its keys in
// another order, is the same command. A payload that is not JSON is hashed as given (its handler
// refuses it anyway).
func hashOf(cmd Command, key []byte) string {
	h := sha256.New()
	if len(key) > 0 {
		h = hmac.New(sha256.New, key)
	}
	h.Write([]byte(cmd.Type))
	h.Write([]byte{0})
	h.Write(canonical(cmd.Payload))
	return hex.EncodeToString(h.Sum(nil))
}

func canonical(raw json.RawMessage) []byte {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return raw
	}
	out, err := json.Marshal(v)
	if err != nil {
		return raw
	}
	return out
}

// commandInfo is what the log keeps with the append of cmd: its id, its hash and its answer.
func commandInfo(cmd Command, data any) (events.CommandInfo, error) {
	if cmd.ID == "" {
		return events.CommandInfo{}, nil
	}
	info := events.CommandInfo{ID: cmd.ID, Hash: cmd.Hash}
	if data != nil {
		answer, err := json.Marshal(data)
		if err != nil {
			return info, fmt.Errorf("%s: answer of command %q: %w", cmd.Type, cmd.ID, err)
		}
		info.Answer = answer
	}
	return info, nil
}

// recorded answers the first result of cmd when the log holds its id: the positions, stream
// version and data of the first answer, with Duplicate set (Data is then the stored answer, a
// json.RawMessage: see typed), once the state has folded what it wrote when wait is set. An id
// the log holds for another command (another hash) is refused with ErrIdempotencyConflict. found
// is false for a command without an id, or one the log does not hold.
func (w *writer) recorded(ctx context.Context, cmd Command, wait bool) (Result, bool, error) {
	if cmd.ID == "" {
		return Result{}, false, nil
	}
	rec, found, err := w.log.Command(ctx, cmd.ID)
	if err != nil {
		return Result{}, false, fmt.Errorf("%s: looking up command id %q: %w", cmd.Type, cmd.ID, err)
	}
	if !found {
		return Result{}, false, nil
	}
	if rec.Hash != "" && cmd.Hash != "" && rec.Hash != cmd.Hash {
		return Result{}, true, fmt.Errorf("%w: command id %q was used before by a command of another type or payload: give a new command a new id",
			ErrIdempotencyConflict, cmd.root())
	}
	out := Result{CommandID: cmd.ID, Stream: rec.Stream, Positions: rec.Positions, StreamVersion: rec.StreamVersion, Duplicate: true}
	if rec.Answer != nil {
		out.Data = rec.Answer
	}
	if n := len(rec.Positions); n > 0 && wait {
		if err := w.waitFor(ctx, rec.Positions[n-1]); err != nil {
			return out, true, fmt.Errorf("%s: written at %d, not yet readable: %w", cmd.Type, rec.Positions[n-1], err)
		}
	}
	return out, true, nil
}

// typed makes res.Data a T: the data decided, or the stored answer of a duplicate decoded.
func typed[T any](res Result) (Result, error) {
	raw, ok := res.Data.(json.RawMessage)
	if !ok {
		return res, nil
	}
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		return res, fmt.Errorf("command %q: reading its first answer: %w", res.CommandID, err)
	}
	res.Data = v
	return res, nil
}
