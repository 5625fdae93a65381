package authn

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/infrahub-go/infrahub/authz"

	"github.com/infrahub-go/infrahub/commands"
	"github.com/infrahub-go/infrahub/commands/values"
	"github.com/infrahub-go/infrahub/fault"
	"github.com/infrahub-go/infrahub/projections/graph"
	"golang.org/x/crypto/bcrypt"
)

// dummyHash is compared against when the account does not exist, so that a login takes as long
// whether or not the name is known.
var dummyHash = sync.OnceValue(func() string {
	h, _ := bcrypt.GenerateFromPassword([]byte("no such account"), values.PasswordCost)
	return string(h)
})

// Register adds Infrahub's login endpoints to mux.
func (x *Authenticator) Register(mux *http.ServeMux) {
	mux.HandleFunc("POST /api/auth/login", x.login)
	mux.HandleFunc("POST /api/auth/refresh", x.refresh)
	mux.HandleFunc("POST /api/auth/logout", x.logout)
}

// login answers `POST /api/auth/login` {"username", "password"} with
// {"access_token", "refresh_token"} (Infrahub's models.UserToken), and sets the same as cookies.
func (x *Authenticator) login(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Username *string `json:"username"`
		Password *string `json:"password"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, min(x.cfg.Limits.BodyBytes, 1<<20)))
	if err := dec.Decode(&in); err != nil || in.Username == nil || in.Password == nil {
		x.fail(w, fmt.Errorf("%w: the body must be {\"username\": ..., \"password\": ...}", fault.ErrInvalid))
		return
	}
	addr := clientAddr(r)
	if err := x.limiter.check(*in.Username, addr); err != nil {
		x.cfg.Logger.Warn("login refused: too many failures", "account", *in.Username, "client", addr)
		x.fail(w, err)
		return
	}
	a, found, err := x.accountByName(r.Context(), *in.Username)
	if err != nil {
		x.fail(w, err)
		return
	}
	hash := dummyHash()
	if found {
		hash = a.password
	}
	ok := values.CheckPassword(hash, *in.Password) && found
	switch {
	case !ok:
		key := ""
		if found {
			key = *in.Username
		}
		x.limiter.fail(key, addr)
		x.cfg.Logger.Info("login failed", "account", *in.Username, "client", addr)
		x.fail(w, fmt.Errorf("%w: Incorrect password", ErrUnauthorized))
		return
	case a.status != "" && a.status != "active":
		x.fail(w, fmt.Errorf("%w: This account is not allowed to login", ErrUnauthorized))
		return
	}
	access, refresh, err := x.session(r.Context(), a)
	if err != nil {
		x.fail(w, err)
		return
	}
	x.cookie(w, "access_token", access, x.cfg.AccessLifetime)
	x.cookie(w, "refresh_token", refresh, x.cfg.RefreshLifetime)
	x.cfg.Logger.Info("login", "account", a.name, "client", addr)
	writeJSON(w, http.StatusOK, map[string]string{"access_token": access, "refresh_token": refresh})
}

// session stores a new InternalRefreshToken (the session; its id is the tokens' session_id)
// through a command and signs the session's access and refresh tokens.
func (x *Authenticator) session(ctx context.Context, a account) (access, refresh string, err error) {
	exp := x.cfg.Now().Add(x.cfg.RefreshLifetime).UTC()
	payload, _ := json.Marshal(map[string]any{"kind": RefreshTokenKind, "data": map[string]any{
		"expiration": exp.Format(time.RFC3339), "account": map[string]any{"id": a.id}}})
	res, err := x.cfg.Dispatch(ctx, commands.Command{Type: commands.TypeCreateNode, Actor: a.name, Payload: payload})
	if err != nil {
		return "", "", fmt.Errorf("storing the session: %w", err)
	}
	sessionID, err := outcomeID(res)
	if err != nil {
		return "", "", err
	}
	if access, err = x.sign(a.id, sessionID, "access", x.cfg.Now().Add(x.cfg.AccessLifetime)); err != nil {
		return "", "", err
	}
	refresh, err = x.sign(a.id, sessionID, "refresh", exp)
	return access, refresh, err
}

// outcomeID answers the id of the node a node command wrote.
func outcomeID(res commands.Result) (string, error) {
	switch d := res.Data.(type) {
	case commands.NodeOutcome:
		return d.ID, nil
	case json.RawMessage:
		var out commands.NodeOutcome
		if err := json.Unmarshal(d, &out); err == nil && out.ID != "" {
			return out.ID, nil
		}
	}
	return "", errors.New("storing the session: the command answered no node id")
}

// refresh answers `POST /api/auth/refresh` (the refresh token as `Authorization: Bearer`, or the
// refresh_token cookie) with {"access_token"}, while the session exists and the account is active.
func (x *Authenticator) refresh(w http.ResponseWriter, r *http.Request) {
	tok, ok := bearer(r)
	if !ok {
		if c, err := r.Cookie("refresh_token"); err == nil {
			tok, ok = c.Value, true
		}
	}
	if !ok {
		x.fail(w, fmt.Errorf("%w: A refresh token is required", ErrUnauthorized))
		return
	}
	c, err := x.parse(tok, "refresh")
	if err != nil {
		x.fail(w, err)
		return
	}
	if _, err := x.activeAccount(r.Context(), c.Subject); err != nil {
		x.fail(w, err)
		return
	}
	if _, err := x.cfg.Graph.Get(r.Context(), graph.Scope{}, c.SessionID); err != nil {
		if errors.Is(err, fault.ErrNotFound) {
			err = fmt.Errorf("%w: The provided refresh token has been invalidated in the database", ErrUnauthorized)
		}
		x.fail(w, err)
		return
	}
	access, err := x.sign(c.Subject, c.SessionID, "access", x.cfg.Now().Add(x.cfg.AccessLifetime))
	if err != nil {
		x.fail(w, err)
		return
	}
	x.cookie(w, "access_token", access, x.cfg.AccessLifetime)
	writeJSON(w, http.StatusOK, map[string]string{"access_token": access})
}

// logout answers `POST /api/auth/logout` (the access token as `Authorization: Bearer`): the
// session of the token is deleted (through a command, so that it stays revoked across restarts),
// and with it every refresh token of the session.
func (x *Authenticator) logout(w http.ResponseWriter, r *http.Request) {
	tok, ok := bearer(r)
	if !ok {
		x.fail(w, fmt.Errorf("%w: An access token is required", ErrUnauthorized))
		return
	}
	c, err := x.parse(tok, "access")
	if err != nil {
		x.fail(w, err)
		return
	}
	if _, err := x.cfg.Graph.Get(r.Context(), graph.Scope{}, c.SessionID); err == nil {
		payload, _ := json.Marshal(commands.DeleteNode{Kind: RefreshTokenKind, ID: c.SessionID})
		if _, err := x.cfg.Dispatch(authz.With(r.Context(), authz.System), // revoking one's own session: the server's work
			commands.Command{Type: commands.TypeDeleteNode, Actor: c.Subject, Payload: payload}); err != nil &&
			!errors.Is(err, fault.ErrNotFound) {
			x.fail(w, fmt.Errorf("revoking the session: %w", err))
			return
		}
	}
	http.SetCookie(w, &http.Cookie{Name: "access_token", Path: "/", MaxAge: -1})
	http.SetCookie(w, &http.Cookie{Name: "refresh_token", Path: "/", MaxAge: -1})
	writeJSON(w, http.StatusOK, nil)
}

func (x *Authenticator) cookie(w http.ResponseWriter, name, value string, life time.Duration) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/", HttpOnly: true,
		MaxAge: int(life.Seconds()), SameSite: http.SameSiteLaxMode})
}

// clientAddr is the request's peer address (without its port). Forwarded headers are not
// trusted: a client could choose its own.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
