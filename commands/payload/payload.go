// Package payload reads JSON request bodies and command payloads strictly, the same way in every
// layer: exactly one JSON value, no field the target does not have. Its errors are of kind
// fault.ErrInvalid and name what is wrong.
package payload

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/infrahub-go/infrahub/fault"
)

// Decode reads raw (a command's payload; empty reads as {}) into v. what names the input in
// errors ("payload", "body", "from_pool").
func Decode(raw []byte, v any, what string) error {
	if len(bytes.TrimSpace(raw)) == 0 {
		raw = []byte("{}")
	}
	return Read(bytes.NewReader(raw), v, what)
}

// Read reads one JSON value from r into v and refuses anything after it.
func Read(r io.Reader, v any, what string) error {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return fmt.Errorf("%w: %s: longer than %d bytes", fault.ErrTooLarge, what, tooLarge.Limit)
		}
		return fmt.Errorf("%w: %s: %v", fault.ErrInvalid, what, err)
	}
	if dec.More() {
		return fmt.Errorf("%w: %s holds more than one JSON value", fault.ErrInvalid, what)
	}
	return nil
}
