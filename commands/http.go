package commands

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/infrahub-go/infrahub/events"
)

// MaxBodyBytes bounds a command request.
const MaxBodyBytes = 32 << 20

// ErrorBody is the JSON shape of every 4xx and 5xx answer.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail names the problem.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// StatusOf maps an error of any layer to an HTTP status and a stable code. It is the one place
// where that mapping lives; the GraphQL layer reuses the code.
func StatusOf(err error) (int, string) {
	switch {
	case errors.Is(err, ErrInvalid), errors.Is(err, events.ErrInvalidEvent):
		return http.StatusBadRequest, "invalid_command"
	case errors.Is(err, ErrUnknown), errors.Is(err, events.ErrUnknownEventType):
		return http.StatusBadRequest, "unknown_command"
	case errors.Is(err, ErrNotFound):
		return http.StatusNotFound, "not_found"
	case errors.Is(err, ErrConflict):
		return http.StatusConflict, "conflict"
	case errors.Is(err, events.ErrVersionConflict):
		return http.StatusConflict, "version_conflict"
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded), errors.Is(err, events.ErrClosed):
		return http.StatusServiceUnavailable, "unavailable"
	default:
		return http.StatusInternalServerError, "internal"
	}
}

// WriteError answers with the JSON error body for err.
func WriteError(w http.ResponseWriter, err error) {
	status, code := StatusOf(err)
	msg := err.Error()
	if status == http.StatusInternalServerError {
		msg = "internal error; see the server log"
	}
	writeJSON(w, status, ErrorBody{Error: ErrorDetail{Code: code, Message: msg}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// Endpoint serves POST /api/commands.
type Endpoint struct {
	Dispatcher *Dispatcher
	Logger     *slog.Logger
}

// ServeHTTP decodes one command, dispatches it and answers with its Result.
func (e *Endpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeJSON(w, http.StatusMethodNotAllowed, ErrorBody{Error: ErrorDetail{Code: "method_not_allowed", Message: "use POST"}})
		return
	}
	var cmd Command
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cmd); err != nil {
		WriteError(w, fmt.Errorf("%w: body: %v", ErrInvalid, err))
		return
	}
	if dec.More() {
		WriteError(w, fmt.Errorf("%w: body holds more than one JSON value", ErrInvalid))
		return
	}
	res, err := e.Dispatcher.Dispatch(r.Context(), cmd)
	if err != nil {
		if status, _ := StatusOf(err); status >= 500 && e.Logger != nil {
			e.Logger.Error("command failed", "type", cmd.Type, "id", cmd.ID, "err", err)
		}
		WriteError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}
