package httpguard

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/infrahub-go/infrahub/commands"
	"github.com/infrahub-go/infrahub/fault"
)

// writeError answers err in the shape of the request's path: a GraphQL response under
// /graphql, {"error": {"code", "message"}} elsewhere.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	c := fault.Classify(err)
	status, msg := c.Status, err.Error()
	if errors.Is(err, ErrUnsupportedMediaType) {
		status = http.StatusUnsupportedMediaType
	}
	if status == http.StatusInternalServerError {
		msg = "internal error; see the server log"
	}
	var body any
	if r.URL.Path == "/graphql" || hasPathPrefix(r.URL.Path, "/graphql/") {
		type gqlError struct {
			Message    string            `json:"message"`
			Extensions map[string]string `json:"extensions"`
		}
		body = struct {
			Data   *struct{}  `json:"data"`
			Errors []gqlError `json:"errors"`
		}{Errors: []gqlError{{Message: msg, Extensions: map[string]string{"code": c.GraphQL}}}}
	} else {
		body = commands.ErrorBody{Error: commands.ErrorDetail{Code: c.Code, Message: msg}}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}
