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
	if res, found, err := s.w.recorded(ctx, cmd, false); found || err != nil {
		return res, err
	}
	info, err := commandInfo(cmd, nil)
	if err != nil {
		return Result{}, err
	}
	res, err := s.w.log.AppendCommand(ctx, events.DiagnosticsStream, events.AnyVersion, info, ev)
	if err != nil {
		return Result{}, fmt.Errorf("%s: %w", TypeRecordDiagnostic, err)
	}
	if res.Duplicate { // the same id got there first, from another request
		if out, found, err := s.w.recorded(ctx, cmd, false); found || err != nil {
			return out, err
		}
	}
	return resultOf(events.DiagnosticsStream, cmd.ID, res), nil
}
