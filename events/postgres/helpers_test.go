package postgres_test

import (
	"encoding/json"

	"github.com/infrahub-go/infrahub/events"
)

func ev(typ string) events.Envelope {
	return events.Envelope{Type: typ, Payload: json.RawMessage(`{"k":"v"}`)}
}
