package commands

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/infrahub-go/infrahub/commands/payload"
	"github.com/infrahub-go/infrahub/events"
)

// TypeRecordDiagnostic appends an opaque note to the diagnostics stream. It exercises the whole
// write path (endpoint, idempotency, log, forwarder, bus, projections) and stays useful as a smoke
// test of a running system. It is not versioned and does not wait for the projections.
const TypeRecordDiagnostic = "diagnostic.record"

// RecordDiagnostic is the payload of TypeRecordDiagnostic.
type RecordDiagnostic struct {
	// Data is stored as given; it must be JSON.
	Data json.RawMessage `json:"data"`
}

func (s *Service) recordDiagnostic(ctx context.Context, cmd Command) (Result, error) {
	var in RecordDiagnostic
	if err := payload.Decode(cmd.Payload, &in, "payload"); err != nil {
		return Result{}, err
	}
	ev, err := s.w.cat.New(events.TypeDiagnosticRecorded, events.DiagnosticRecorded{Data: in.Data}, metaOf(cmd))
	if err != nil {
		return Result{}, err
	}
	res, err := s.w.log.Append(ctx, events.DiagnosticsStream, events.AnyVersion, ev)
	if err != nil {
		return Result{}, fmt.Errorf("%s: %w", TypeRecordDiagnostic, err)
	}
	return resultOf(events.DiagnosticsStream, cmd.ID, res), nil
}
