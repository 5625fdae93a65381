// Package httpguard is what every HTTP request passes through before a route answers it:
//
//   - a deadline on the request's context (limits.RequestTimeout), so that a handler's work
//     stops when it is reached, as it stops when the client goes or the server stops;
//   - no cross-site writes: a POST, PUT, PATCH or DELETE to /api/... or /graphql... must carry
//     a JSON body (application/json or a type ending in +json, which no HTML form and no "simple"
//     cross-site request can send) and, when it carries an Origin, come from this host or from
//     an origin allowed for CORS; the one exception is a file upload to the object store
//     (/api/storage/upload/file), which may be multipart/form-data when its credentials come in
//     the X-INFRAHUB-KEY or Authorization: Bearer header (no HTML form can set them);
//   - CORS: denied unless origins are configured (INFRAHUB_CORS_ORIGINS); those origins get
//     preflight answers and Access-Control-Allow-Origin;
//   - Positions: the log positions a read names (min_position, a numeric at) are refused at once
//     beyond the log head, and waited for (bounded) when the projection has not folded them yet.
//
// Refusals answer in the shape of the path: {"error": {"code", "message"}} under /api, and a
// GraphQL response {"data": null, "errors": [{"message", "extensions": {"code"}}]} under /graphql.
package httpguard

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/infrahub-go/infrahub/fault"
)

// Config is what a Guard enforces.
type Config struct {
	// RequestTimeout is the deadline of every request's context (limits.RequestTimeout).
	RequestTimeout time.Duration
	// Origins are the browser origins ("https://ui.example.com", "http://localhost:3000")
	// allowed to call the API from another site. Empty: none (CORS denied).
	Origins []string
}

// Validate refuses a non-positive timeout and an origin that is not scheme://host[:port].
func (c Config) Validate() error {
	var errs []error
	if c.RequestTimeout <= 0 {
		errs = append(errs, fmt.Errorf("%w: httpguard: RequestTimeout must be positive, got %s", fault.ErrInvalid, c.RequestTimeout))
	}
	for _, o := range c.Origins {
		if _, err := ParseOrigin(o); err != nil {
			errs = append(errs, fmt.Errorf("%w: httpguard: %w", fault.ErrInvalid, err))
		}
	}
	return errors.Join(errs...)
}

// Guard wraps the server's routes; see the package documentation.
type Guard struct {
	timeout time.Duration
	origins map[string]bool // normalised (ParseOrigin)
}

// New answers the Guard of cfg.
func New(cfg Config) (*Guard, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	g := &Guard{timeout: cfg.RequestTimeout, origins: map[string]bool{}}
	for _, o := range cfg.Origins {
		n, _ := ParseOrigin(o)
		g.origins[n] = true
	}
	return g, nil
}

// Wrap answers next behind the guard: CORS, then the checks of writes, then the deadline.
func (g *Guard) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !g.cors(w, r) {
			return
		}
		if isWrite(r) && guarded(r.URL.Path) {
			if err := g.sameSiteOrAllowed(r); err != nil {
				writeError(w, r, err)
				return
			}
			if err := jsonBody(r); err != nil {
				writeError(w, r, err)
				return
			}
		}
		ctx, cancel := context.WithTimeout(r.Context(), g.timeout)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

func isWrite(r *http.Request) bool {
	switch r.Method {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		return true
	}
	return false
}

// guarded tells whether a path takes writes that must be JSON: the API and GraphQL.
func guarded(path string) bool {
	return path == "/api" || hasPathPrefix(path, "/api/") || path == "/graphql" || hasPathPrefix(path, "/graphql/")
}

func hasPathPrefix(path, prefix string) bool {
	return len(path) >= len(prefix) && path[:len(prefix)] == prefix
}
