package repository

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"

	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	gitssh "github.com/go-git/go-git/v5/plumbing/transport/ssh"
	gossh "golang.org/x/crypto/ssh"

	"github.com/infrahub-go/infrahub/fault"
	"github.com/infrahub-go/infrahub/redact"
)

// auth answers the credential of r for its transport: HTTP basic auth with a password (a user
// name alone, or none, is anonymous; a password in the URL is used by go-git itself), SSH
// password auth. nil: none (file://, a local path, SSH agent).
func (c *Cache) auth(r Remote) transport.AuthMethod {
	ep, err := transport.NewEndpoint(r.Location)
	if err != nil {
		return nil
	}
	switch ep.Protocol {
	case "http", "https":
		if r.Password == "" {
			return nil
		}
		return &githttp.BasicAuth{Username: r.Username, Password: r.Password}
	case "ssh":
		user := r.Username
		if user == "" {
			user = ep.User
		}
		if user == "" {
			user = "git"
		}
		password := r.Password
		if password == "" {
			password = ep.Password
		}
		if password == "" && !c.cfg.InsecureIgnoreHostKey {
			return nil
		}
		if password == "" {
			a, err := gitssh.NewSSHAgentAuth(user)
			if err != nil {
				return nil
			}
			a.HostKeyCallback = gossh.InsecureIgnoreHostKey()
			return a
		}
		a := &gitssh.Password{User: user, Password: password}
		if c.cfg.InsecureIgnoreHostKey {
			a.HostKeyCallback = gossh.InsecureIgnoreHostKey()
		}
		return a
	}
	return nil
}

// remoteError classifies err of a network operation (credential, connection, other) and
// builds a message that names the operation and the location, never a password.
func (c *Cache) remoteError(ctx context.Context, op string, r Remote, err error) error {
	var kind error
	switch {
	case errors.Is(err, transport.ErrAuthenticationRequired), errors.Is(err, transport.ErrAuthorizationFailed),
		errors.Is(err, transport.ErrInvalidAuthMethod),
		strings.Contains(err.Error(), "unable to authenticate"), strings.Contains(err.Error(), "no supported methods remain"):
		kind = ErrCredential
	case errors.Is(err, transport.ErrRepositoryNotFound):
		kind = fault.ErrNotFound
	case isConnection(err), ctx.Err() != nil:
		kind = ErrConnection
	}
	msg := strings.TrimSpace(scrub(r, err.Error()))
	if kind == nil {
		c.log.Warn("repository operation failed", "repository", r.ID, "location", r.String(), "op", op, "error", msg)
		return &remoteErr{msg: fmt.Sprintf("%s %s: %s", op, r, msg)}
	}
	return &remoteErr{msg: fmt.Sprintf("%s %s: %s: %s", op, r, kind, msg), kind: kind}
}

// remoteErr carries a scrubbed message; it wraps only its kind, so that no unscrubbed text can
// be reached through it.
type remoteErr struct {
	msg  string
	kind error
}

func (e *remoteErr) Error() string { return e.msg }
func (e *remoteErr) Unwrap() error { return e.kind }

// scrub removes the remote's secrets from text: URL passwords (redact) and r.Password itself.
func scrub(r Remote, s string) string {
	if r.Password != "" && len(r.Password) >= 3 {
		s = strings.ReplaceAll(s, r.Password, redact.Mask)
	}
	return redact.String(s)
}

func isConnection(err error) bool {
	var netErr net.Error
	var opErr *net.OpError
	var dnsErr *net.DNSError
	switch {
	case errors.As(err, &opErr), errors.As(err, &dnsErr), errors.Is(err, syscall.ECONNREFUSED),
		errors.Is(err, context.DeadlineExceeded):
		return true
	case errors.As(err, &netErr) && netErr.Timeout():
		return true
	}
	msg := err.Error()
	for _, s := range []string{"connection refused", "no such host", "i/o timeout", "network is unreachable", "connection reset", "EOF"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}
