package httpguard

import (
	"fmt"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/infrahub-go/infrahub/fault"
)

// What an allowed origin may send: Infrahub's clients authenticate with X-INFRAHUB-KEY or a
// bearer token and send JSON; Idempotency-Key names a schema load.
const (
	allowMethods = "GET, POST, OPTIONS"
	allowHeaders = "Content-Type, Authorization, X-INFRAHUB-KEY, Idempotency-Key"
	preflightAge = "600"
)

// ErrUnsupportedMediaType is the refusal of a write whose body is not JSON; it is answered
// 415 with code unsupported_media_type.
var ErrUnsupportedMediaType = fault.Coded(fault.ErrInvalid, "unsupported media type", "unsupported_media_type", "")

// ParseOrigin reads an origin as browsers send it, scheme://host[:port] with http or https and
// nothing else, and answers it normalised (lower case, without the scheme's default port).
func ParseOrigin(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return "", fmt.Errorf("origin %q: use scheme://host[:port] with http or https, without a path", raw)
	}
	return strings.ToLower(u.Scheme) + "://" + hostKey(strings.ToLower(u.Scheme), u.Host), nil
}

// hostKey is host[:port] in lower case, without the scheme's default port.
func hostKey(scheme, host string) string {
	host = strings.ToLower(host)
	if h, port, err := net.SplitHostPort(host); err == nil &&
		(scheme == "http" && port == "80" || scheme == "https" && port == "443") {
		if strings.Contains(h, ":") {
			return "[" + h + "]"
		}
		return h
	}
	return host
}

// cors answers a preflight (then the request is done: false) and marks the answers to an
// allowed origin. Without configured origins, no CORS header is ever sent and every preflight
// is refused, so that browsers keep other sites' scripts from calling the API.
func (g *Guard) cors(w http.ResponseWriter, r *http.Request) bool {
	origin := header(r.Header, "Origin")
	if origin == "" {
		return true
	}
	w.Header().Add("Vary", "Origin")
	allowed := g.allowed(origin)
	if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
		if !allowed {
			writeError(w, r, fmt.Errorf("%w: cross-origin requests from %q are not allowed (INFRAHUB_CORS_ORIGINS)", fault.ErrForbidden, origin))
			return false
		}
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Methods", allowMethods)
		h.Set("Access-Control-Allow-Headers", allowHeaders)
		h.Set("Access-Control-Max-Age", preflightAge)
		w.WriteHeader(http.StatusNoContent)
		return false
	}
	if allowed {
		w.Header().Set("Access-Control-Allow-Origin", origin)
	}
	return true
}

func (g *Guard) allowed(origin string) bool {
	n, err := ParseOrigin(origin)
	return err == nil && g.origins[n]
}

// sameSiteOrAllowed refuses a write that a browser sent from another site that is not allowed:
// its Origin names neither this host (as the client or a proxy in front reached it) nor an
// allowed origin. Requests without an Origin (curl, the SDK) are not browsers' cross-site ones.
func (g *Guard) sameSiteOrAllowed(r *http.Request) error {
	origin := header(r.Header, "Origin")
	if origin == "" || g.allowed(origin) {
		return nil
	}
	if u, err := url.Parse(origin); err == nil && u.Host != "" {
		scheme := strings.ToLower(u.Scheme)
		host := hostKey(scheme, u.Host)
		for _, h := range []string{r.Host, firstValue(r.Header.Get("X-Forwarded-Host"))} {
			if h != "" && hostKey(scheme, h) == host {
				return nil
			}
		}
	}
	return fmt.Errorf("%w: %s %s from origin %q: writes are accepted from this host or an allowed origin only (INFRAHUB_CORS_ORIGINS)",
		fault.ErrForbidden, r.Method, r.URL.Path, origin)
}

func firstValue(list string) string {
	v, _, _ := strings.Cut(list, ",")
	return strings.TrimSpace(v)
}

// jsonBody refuses a write whose Content-Type is not JSON: text/plain, form-encoded and
// multipart bodies are what a page of another site can send without asking (no preflight).
// One exception: a file upload to the object store (multipartPaths) may be multipart/form-data
// when the request carries its credentials in a header (fromScript), which no cross-site form
// can set.
func jsonBody(r *http.Request) error {
	raw := header(r.Header, "Content-Type")
	if raw == "" {
		return fmt.Errorf("%w: %s %s has no Content-Type; send the body as application/json", ErrUnsupportedMediaType, r.Method, r.URL.Path)
	}
	if raw == "application/json" {
		return nil // what mime.ParseMediaType answers for it, without its allocations
	}
	mt, _, err := mime.ParseMediaType(raw)
	if err == nil && mt == "multipart/form-data" && multipartPaths[r.URL.Path] {
		if fromScript(r) {
			return nil
		}
		return fmt.Errorf("%w: %s %s takes multipart/form-data only with the credentials in the X-INFRAHUB-KEY or Authorization: Bearer header",
			ErrUnsupportedMediaType, r.Method, r.URL.Path)
	}
	if err != nil || !(mt == "application/json" || strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json")) {
		return fmt.Errorf("%w: Content-Type %q: %s %s takes application/json", ErrUnsupportedMediaType, raw, r.Method, r.URL.Path)
	}
	return nil
}

// header is h.Get(key) for a key in its canonical form, looked up without canonicalising it
// (which Get does, checking each byte, at every call): the guard reads a few headers of every
// request.
func header(h http.Header, key string) string {
	if v := h[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// multipartPaths take multipart/form-data bodies (from scripts, see jsonBody).
var multipartPaths = map[string]bool{"/api/storage/upload/file": true}

// fromScript tells whether a request carries credentials in a header a browser never adds by
// itself: an API key (X-INFRAHUB-KEY) or a bearer token. A cross-site form sends neither (and a
// cross-site script may not without a preflight, which CORS answers); a Basic Authorization,
// which browsers may replay on their own, does not count.
func fromScript(r *http.Request) bool {
	if r.Header.Get("X-INFRAHUB-KEY") != "" {
		return true
	}
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	return ok && strings.EqualFold(scheme, "Bearer") && strings.TrimSpace(token) != ""
}
