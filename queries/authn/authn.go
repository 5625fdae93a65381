// Package authn establishes who is asking: it answers Infrahub's login endpoints
// (/api/auth/login, /refresh, /logout: JWTs signed with HS256) and resolves the credentials of a
// request (an `Authorization: Bearer` access token or an `X-INFRAHUB-KEY` API token) into the
// authz.Identity its context carries. It decides nothing about permissions (package authz does).
package authn

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/infrahub-go/infrahub/authz"
	"github.com/infrahub-go/infrahub/commands"
	"github.com/infrahub-go/infrahub/commands/values"
	"github.com/infrahub-go/infrahub/fault"
	"github.com/infrahub-go/infrahub/limits"
	"github.com/infrahub-go/infrahub/projections/graph"
)

// Kinds this package reads and writes.
const (
	AccountKind      = "CoreGenericAccount"
	RefreshTokenKind = "InternalRefreshToken"
	TokenKind        = values.TokenKind
)

// ErrUnauthorized is a credential refused: answered 401 with Infrahub's error body.
var ErrUnauthorized = errors.New("unauthorized")

// Dispatcher runs a command (commands.Service.Dispatch).
type Dispatcher func(ctx context.Context, cmd commands.Command) (commands.Result, error)

// Config is what the authenticator needs.
type Config struct {
	Graph    graph.Reader // accounts, tokens and sessions are read on the default branch
	Dispatch Dispatcher   // sessions are created and revoked through commands
	// Key signs the JWTs (INFRAHUB_SECURITY_SECRET_KEY); at least 16 bytes.
	Key             []byte
	AccessLifetime  time.Duration
	RefreshLifetime time.Duration
	Limits          limits.Limits // the login failure bounds and the body size
	Logger          *slog.Logger
	Now             func() time.Time // the clock; time.Now when nil
	// Permissions, when set, resolves each request's identity once (cached per log position) and
	// decides whether anonymous requests are served at all (INFRAHUB_ALLOW_ANONYMOUS_ACCESS).
	Permissions *authz.Resolver
	// Tokens, when set, keeps API token verifications until the graph changes what they read;
	// whatever folds Graph must call its Folded after each batch.
	Tokens *TokenCache
}

// Authenticator answers the login endpoints and identifies requests.
type Authenticator struct {
	cfg     Config
	limiter *limiter
}

// New checks cfg and answers its Authenticator.
func New(cfg Config) (*Authenticator, error) {
	if cfg.Graph == nil || cfg.Dispatch == nil {
		return nil, errors.New("authn: Graph and Dispatch are required")
	}
	if len(cfg.Key) < 16 {
		return nil, errors.New("authn: the secret key (INFRAHUB_SECURITY_SECRET_KEY) must be at least 16 bytes")
	}
	if cfg.AccessLifetime <= 0 || cfg.RefreshLifetime <= 0 {
		return nil, errors.New("authn: token lifetimes must be positive")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	l := cfg.Limits
	return &Authenticator{cfg: cfg, limiter: newLimiter(l.LoginFailuresPerAccount, l.LoginFailuresPerAddress, l.LoginWindow, cfg.Now)}, nil
}

// account is what authentication reads of a CoreGenericAccount.
type account struct {
	id, name, kind, accountType, status, password string
}

func (a account) identity() authz.Identity {
	return authz.Identity{AccountID: a.id, Name: a.name, AccountType: a.accountType}
}

func accountOf(n graph.Node) account {
	str := func(name string) string {
		s, _ := n.Attributes[name].Value.(string)
		return s
	}
	return account{id: n.ID, name: str("name"), kind: n.Kind, accountType: str("account_type"),
		status: str("status"), password: str("password")}
}

// accountByName answers the account named name; ok is false when there is none.
func (x *Authenticator) accountByName(ctx context.Context, name string) (account, bool, error) {
	page, err := x.cfg.Graph.List(ctx, graph.Scope{}, graph.Query{Kind: AccountKind,
		Filters: map[string]any{"name__value": name}, Limit: 1})
	if err != nil || len(page.Nodes) == 0 {
		return account{}, false, err
	}
	return accountOf(page.Nodes[0]), true, nil
}

// activeAccount answers the account of id when it exists and is active.
func (x *Authenticator) activeAccount(ctx context.Context, id string) (account, error) {
	n, err := x.cfg.Graph.Get(ctx, graph.Scope{}, id)
	if errors.Is(err, fault.ErrNotFound) {
		return account{}, fmt.Errorf("%w: the account of this token no longer exists", ErrUnauthorized)
	}
	if err != nil {
		return account{}, err
	}
	a := accountOf(n)
	if a.name == "" {
		return account{}, fmt.Errorf("%w: the account of this token no longer exists", ErrUnauthorized)
	}
	if a.status != "" && a.status != "active" {
		return account{}, fmt.Errorf("%w: This account has been deactivated", ErrUnauthorized)
	}
	return a, nil
}

// Identify answers who r acts for: the account of its X-INFRAHUB-KEY or of its bearer access
// token, authz.Anonymous when it has neither. Invalid, expired or revoked credentials are an
// ErrUnauthorized (an API key is looked at first, as Infrahub does).
func (x *Authenticator) Identify(ctx context.Context, r *http.Request) (*authz.Identity, error) {
	id, anonymous, err := x.identify(ctx, r)
	switch {
	case err != nil:
		return nil, err
	case anonymous:
		return authz.Anonymous, nil
	}
	return &id, nil
}

// identify is Identify answering the identity as a value (anonymous: authz.Anonymous's), so
// that Middleware allocates one identity per request, with its permissions.
func (x *Authenticator) identify(ctx context.Context, r *http.Request) (id authz.Identity, anonymous bool, err error) {
	if key := headerValue(r.Header, keyHeader); key != "" {
		a, err := x.apiKey(ctx, key)
		if err != nil {
			return id, false, err
		}
		return a.identity(), false, nil
	}
	if tok, ok := bearer(r); ok {
		c, err := x.parse(tok, "access")
		if err != nil {
			return id, false, err
		}
		a, err := x.activeAccount(ctx, c.Subject)
		if err != nil {
			return id, false, err
		}
		id = a.identity()
		id.ByJWT = true
		return id, false, nil
	}
	return *authz.Anonymous, true, nil
}

// apiKey resolves an API token to its active account; an expired token is refused. A
// verification Config.Tokens keeps is reused until it expires or the graph changes what it read.
func (x *Authenticator) apiKey(ctx context.Context, key string) (account, error) {
	var buf [96]byte // a digest's length: looked up without allocating it
	d := values.AppendTokenDigest(buf[:0], key)
	if v, ok := x.cfg.Tokens.lookupBytes(d); ok && (v.expires.IsZero() || x.cfg.Now().Before(v.expires)) {
		return v.acct, nil
	}
	digest := string(d)
	from := x.cfg.Tokens.begin()
	page, err := x.cfg.Graph.List(ctx, graph.Scope{}, graph.Query{Kind: TokenKind,
		Filters: map[string]any{"token__value": digest}, Limit: 1})
	if err != nil {
		return account{}, err
	}
	if len(page.Nodes) == 0 {
		return account{}, fmt.Errorf("%w: Invalid token", ErrUnauthorized)
	}
	tok := page.Nodes[0]
	var expires time.Time
	if exp, _ := tok.Attributes["expiration"].Value.(string); exp != "" {
		t, err := time.Parse(time.RFC3339Nano, exp)
		if err != nil || !x.cfg.Now().Before(t) {
			return account{}, fmt.Errorf("%w: Invalid token, the token has expired", ErrUnauthorized)
		}
		expires = t
	}
	peers, err := x.cfg.Graph.Peers(ctx, graph.Scope{}, []string{tok.ID}, TokenKind, "account")
	if err != nil {
		return account{}, err
	}
	if len(peers[tok.ID]) == 0 {
		return account{}, fmt.Errorf("%w: the account of this token no longer exists", ErrUnauthorized)
	}
	a, err := x.activeAccount(ctx, peers[tok.ID][0].Peer)
	if err != nil {
		return account{}, err
	}
	kept := a
	kept.password = "" // authentication of a token never needs it
	x.cfg.Tokens.keep(from, digest, verified{acct: kept, expires: expires}, tok.ID, a.id)
	return a, nil
}

// keyHeader is X-INFRAHUB-KEY in the canonical form http.Header keeps it in.
const keyHeader = "X-Infrahub-Key"

// headerValue is h.Get(key) for a key in its canonical form, looked up without canonicalising it
// (which Get does, checking each byte, at every call).
func headerValue(h http.Header, key string) string {
	if v := h[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// bearer answers the token of an `Authorization: Bearer` header.
func bearer(r *http.Request) (string, bool) {
	h := headerValue(r.Header, "Authorization")
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
		return "", false
	}
	return strings.TrimSpace(tok), true
}

// Middleware puts the Identity of each request in its context (authz.Anonymous without
// credentials, never none), resolved once through Config.Permissions, and answers 401 with
// Infrahub's error body for invalid credentials and, when anonymous access is not allowed, for
// anonymous requests outside openPaths. What an identity may do is decided by authz where it is
// done (commands.Service.Dispatch for writes, the read handlers for reads).
// The login and refresh endpoints read their own credentials.
func (x *Authenticator) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/auth/login" || r.URL.Path == "/api/auth/refresh" {
			next.ServeHTTP(w, r)
			return
		}
		ctx := r.Context()
		id, anonymous, err := x.identify(ctx, r)
		if err != nil && openPaths[r.URL.Path] {
			// health and configuration answer whatever credentials come
			id, anonymous, err = *authz.Anonymous, true, nil
		}
		if err != nil {
			x.failFor(w, r, err)
			return
		}
		p := x.cfg.Permissions
		if p == nil {
			who := authz.Anonymous
			if !anonymous {
				who = &id
			}
			next.ServeHTTP(w, r.WithContext(authz.With(ctx, who)))
			return
		}
		if anonymous && !p.AllowsAnonymous() && !openPaths[r.URL.Path] {
			x.failFor(w, r, fmt.Errorf("%w: Authentication is required", ErrUnauthorized))
			return
		}
		// The identity with its permissions, as p.Resolve answers it, allocated once.
		if id.Permissions, err = p.Permissions(ctx, &id); err != nil {
			x.failFor(w, r, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(authz.With(ctx, &id)))
	})
}

// openPaths answer anonymous requests even when anonymous access is not allowed (login and
// refresh read their own credentials and never reach the check).
var openPaths = map[string]bool{"/health": true, "/api/config": true, "/api/info": true, "/api/auth/logout": true}

// fail answers err in Infrahub's REST error body ({"data": null, "errors": [{"message",
// "extensions": {"code": <HTTP status>}}]}): 401 for a refused credential, 429 for a login
// refused by the rate limit, the fault's status otherwise.
func (x *Authenticator) fail(w http.ResponseWriter, err error) {
	status, msg := x.classify(w, err)
	writeJSON(w, status, map[string]any{"data": nil,
		"errors": []map[string]any{{"message": msg, "extensions": map[string]any{"code": status}}}})
}

// failFor answers err as fail does, but in Infrahub's GraphQL error envelope for a request to
// /graphql (backend/infrahub/api/exception_handlers.py, _graphql_envelope): extensions carry the
// error catalogue's code (backend/infrahub/errors/catalogue.py), http_status and data. Infrahub's
// web UI refreshes its access token on TOKEN_EXPIRED (an "Expired Signature") and goes to its
// login page on AUTHENTICATION_REQUIRED (frontend/app/src/shared/api/graphql/graphqlClientApollo.tsx).
func (x *Authenticator) failFor(w http.ResponseWriter, r *http.Request, err error) {
	if !strings.HasPrefix(r.URL.Path, "/graphql") {
		x.fail(w, err)
		return
	}
	status, msg := x.classify(w, err)
	code, data := "UNDEFINED_ERROR", map[string]any{}
	switch {
	case status == http.StatusUnauthorized && strings.Contains(msg, "Expired Signature"):
		code, data = "TOKEN_EXPIRED", map[string]any{"expired_at": nil}
	case status == http.StatusUnauthorized:
		code = "AUTHENTICATION_REQUIRED"
	case status == http.StatusForbidden:
		code, data = "PERMISSION_DENIED", map[string]any{"action": nil, "resource_kind": nil}
	}
	writeJSON(w, status, map[string]any{"data": nil, "errors": []map[string]any{{"message": msg,
		"extensions": map[string]any{"code": code, "http_status": status, "data": data}}}})
}

// classify answers the status and message of err, setting the headers they need (Retry-After,
// WWW-Authenticate); an unexpected error is logged and answered without its detail.
func (x *Authenticator) classify(w http.ResponseWriter, err error) (int, string) {
	status, msg := http.StatusInternalServerError, "internal error; see the server log"
	var limited *rateLimited
	switch {
	case errors.As(err, &limited):
		status, msg = http.StatusTooManyRequests, err.Error()
		w.Header().Set("Retry-After", fmt.Sprint(limited.retrySeconds()))
	case errors.Is(err, ErrUnauthorized):
		status, msg = http.StatusUnauthorized, strings.TrimPrefix(err.Error(), ErrUnauthorized.Error()+": ")
	default:
		if c := fault.Classify(err); c.Status != http.StatusInternalServerError {
			status, msg = c.Status, err.Error()
		} else {
			x.cfg.Logger.Error("authentication", "err", err)
		}
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", "Bearer")
	}
	return status, msg
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
