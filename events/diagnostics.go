package events

import "encoding/json"

// Diagnostic event: an opaque note appended by the diagnostic command, used to exercise the log,
// the bus and the projections end to end.
const (
	TypeDiagnosticRecorded = "diagnostic.recorded"
	// DiagnosticsStream is the stream diagnostic events are appended to.
	DiagnosticsStream StreamID = "diagnostics"
)

// DiagnosticRecorded is the payload of TypeDiagnosticRecorded.
type DiagnosticRecorded struct {
	Data json.RawMessage `json:"data,omitempty"`
}

// NewCatalogueWithCore returns a catalogue holding the event types that the spine itself emits.
// Later layers register their own types on the same instance.
func NewCatalogueWithCore() *Catalogue {
	c := NewCatalogue()
	c.MustRegister(TypeDiagnosticRecorded, 1, DiagnosticRecorded{})
	return c
}
