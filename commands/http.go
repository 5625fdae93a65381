package commands

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/infrahub-go/infrahub/commands/payload"
	"github.com/infrahub-go/infrahub/fault"
	"github.com/infrahub-go/infrahub/limits"
)

// ErrorBody is the JSON shape of every 4xx and 5xx answer.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail names the problem.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// StatusOf is the HTTP status and stable code of an error of any layer (fault.Classify: the
// one table of the error family).
func StatusOf(err error) (int, string) {
	c := fault.Classify(err)
	return c.Status, c.Code
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

// ReadBody reads a request's JSON body, at most limit bytes (limits.BodyBytes), into v strictly
// (payload.Read); 0 is limits.Default's. A longer body is refused with limits.ErrExceeded naming
// the setting.
func ReadBody(w http.ResponseWriter, r *http.Request, limit int64, v any) error {
	if limit <= 0 {
		limit = limits.Default().BodyBytes
	}
	err := payload.Read(http.MaxBytesReader(w, r.Body, limit), v, "body")
	if errors.Is(err, fault.ErrTooLarge) {
		return fmt.Errorf("%w: the body is longer than %d bytes (INFRAHUB_MAX_BODY_BYTES)", limits.ErrExceeded, limit)
	}
	return err
}

// Dispatcher runs commands: the Service.
type Dispatcher interface {
	Dispatch(ctx context.Context, cmd Command) (Result, error)
}

// Endpoint serves POST /api/commands.
type Endpoint struct {
	Commands Dispatcher
	Logger   *slog.Logger
	// MaxBodyBytes bounds a request body (limits.BodyBytes; 0: the default).
	MaxBodyBytes int64
}

// ServeHTTP decodes one command, dispatches it and answers with its Result.
func (e *Endpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeJSON(w, http.StatusMethodNotAllowed, ErrorBody{Error: ErrorDetail{Code: "method_not_allowed", Message: "use POST"}})
		return
	}
	var cmd Command
	if err := readCommand(w, r, e.MaxBodyBytes, &cmd); err != nil {
		WriteError(w, err)
		return
	}
	res, err := e.Commands.Dispatch(r.Context(), cmd)
	if err != nil {
		if status, _ := StatusOf(err); status >= 500 && e.Logger != nil {
			e.Logger.Error("command failed", "type", cmd.Type, "id", cmd.ID, "err", err)
		}
		WriteError(w, err)
		return
	}
	writeResult(w, res)
}
