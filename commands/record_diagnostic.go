package commands

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/infrahub-go/infrahub/events"
)

// TypeRecordDiagnostic appends an opaque note to the diagnostics stream. It exercises the whole
// write path (endpoint, idempotency, log, forwarder, bus, projections) before the domain
// commands exist, and stays useful as a smoke test of a running system.
const TypeRecordDiagnostic = "diagnostic.record"

// RecordDiagnostic is the payload of TypeRecordDiagnostic.
type RecordDiagnostic struct {
	// Data is stored as given; it must be JSON.
	Data json.RawMessage `json:"data"`
}

func recordDiagnostic(log events.Appender, cat *events.Catalogue) Handler {
	return func(ctx context.Context, cmd Command) (Result, error) {
		var in RecordDiagnostic
		if len(bytes.TrimSpace(cmd.Payload)) > 0 {
			dec := json.NewDecoder(bytes.NewReader(cmd.Payload))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&in); err != nil {
				return Result{}, fmt.Errorf("%w: payload: %v", ErrInvalid, err)
			}
		}
		md := events.Metadata{CommandID: cmd.ID, Actor: cmd.Actor}
		ev, err := cat.New(events.TypeDiagnosticRecorded, events.DiagnosticRecorded{Data: in.Data}, md)
		if err != nil {
			return Result{}, err
		}
		res, err := log.Append(ctx, events.DiagnosticsStream, events.AnyVersion, ev)
		if err != nil {
			return Result{}, fmt.Errorf("%s: %w", TypeRecordDiagnostic, err)
		}
		return resultOf(events.DiagnosticsStream, cmd.ID, res), nil
	}
}
