// Package redact hides secrets in text before it is logged or returned: the password of a URL's
// userinfo, query parameters and key=value settings whose names look secret (password, passwd,
// secret, token, key, sslpassword, ...). It is a leaf every layer may import: URL adapters redact
// their own messages, and the composition root wraps its logger (Handler) and its errors (Error)
// so that nothing slips through.
package redact

import (
	"context"
	"errors"
	"log/slog"
	"net/url"
	"regexp"
	"strings"
)

// Mask replaces every secret.
const Mask = "xxxxx"

// secretWords are the parts of a parameter name that make it secret.
var secretWords = []string{"pass", "pwd", "secret", "token", "key", "credential", "authorization", "signature", "cookie"}

// SecretName reports whether a parameter called name holds a secret (case-insensitive).
func SecretName(name string) bool {
	n := strings.ToLower(name)
	for _, w := range secretWords {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

// URL returns raw with its userinfo password and the values of its secret query parameters
// masked. A string that does not parse is scrubbed as text (String), never echoed whole.
func URL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return String(raw)
	}
	changed := false
	if u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), Mask)
			changed = true
		}
	}
	if q := query(u.RawQuery); q != u.RawQuery {
		u.RawQuery = q
		changed = true
	}
	if !changed {
		return String(raw) // opaque URLs (scheme:rest) and anything url.Parse took apart oddly
	}
	return String(u.String())
}

// query masks the values of secret parameters, keeping the order and spelling of the rest.
func query(raw string) string {
	parts := strings.Split(raw, "&")
	for i, p := range parts {
		k, _, ok := strings.Cut(p, "=")
		if !ok {
			continue
		}
		if secretParam(k) {
			parts[i] = k + "=" + Mask
		}
	}
	return strings.Join(parts, "&")
}

var (
	// userinfo: scheme://user:password@, up to the last @ before a space (a password may hold @).
	userinfo = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.\-]*://[^\s/@:]*:)[^\s]*@`)
	// keyValue: name=value after the start, a space, '?', '&', ';', ',', '(', '{' or a quote; the
	// value runs to a separator, or is quoted ('...' or "...") and masked whole.
	keyValue = regexp.MustCompile(`(^|[\s?&;,("'{])([A-Za-z0-9_.%\-]+)=('[^']*'|"[^"]*"|[^\s&;,)"'}]*)`)
	// jsonField: "name": "value" (a JSON document quoted in a message).
	jsonField = regexp.MustCompile(`"([A-Za-z0-9_.\-]+)"(\s*:\s*)"(?:[^"\\]|\\.)*"`)
)

// String masks the secrets found in free text: URL passwords, secret name=value pairs (URL
// query parameters, libpq key=value settings) and secret fields of quoted JSON.
func String(s string) string {
	if s == "" {
		return s
	}
	s = userinfo.ReplaceAllString(s, "${1}"+Mask+"@")
	s = keyValue.ReplaceAllStringFunc(s, func(m string) string {
		sub := keyValue.FindStringSubmatch(m)
		if !secretParam(sub[2]) || sub[3] == "" || sub[3] == Mask {
			return m
		}
		return sub[1] + sub[2] + "=" + Mask
	})
	return jsonField.ReplaceAllStringFunc(s, func(m string) string {
		sub := jsonField.FindStringSubmatch(m)
		if !SecretName(sub[1]) {
			return m
		}
		return `"` + sub[1] + `"` + sub[2] + `"` + Mask + `"`
	})
}

// secretParam reports whether a possibly percent-encoded parameter name looks secret.
func secretParam(name string) bool {
	if n, err := url.QueryUnescape(name); err == nil {
		name = n
	}
	return SecretName(name)
}

// Error wraps err so that its message is redacted; errors.Is and errors.As still see err.
func Error(err error) error {
	if err == nil {
		return nil
	}
	var r *redacted
	if errors.As(err, &r) && r == err {
		return err
	}
	return &redacted{err: err}
}

type redacted struct{ err error }

func (r *redacted) Error() string { return String(r.err.Error()) }
func (r *redacted) Unwrap() error { return r.err }

// Handler wraps h so that every log record's message and attributes are redacted.
func Handler(h slog.Handler) slog.Handler { return &handler{h: h} }

type handler struct{ h slog.Handler }

func (x *handler) Enabled(ctx context.Context, l slog.Level) bool { return x.h.Enabled(ctx, l) }

func (x *handler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, String(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(Attr(a))
		return true
	})
	return x.h.Handle(ctx, out)
}

func (x *handler) WithAttrs(as []slog.Attr) slog.Handler {
	clean := make([]slog.Attr, len(as))
	for i, a := range as {
		clean[i] = Attr(a)
	}
	return &handler{h: x.h.WithAttrs(clean)}
}

func (x *handler) WithGroup(name string) slog.Handler { return &handler{h: x.h.WithGroup(name)} }

// Attr redacts one log attribute: strings, errors and Stringers are scrubbed as text, groups
// attribute by attribute, and a string attribute whose key looks secret is masked whole.
func Attr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		if SecretName(a.Key) && a.Key != "key" && v.String() != "" {
			return slog.String(a.Key, Mask)
		}
		return slog.String(a.Key, String(v.String()))
	case slog.KindGroup:
		g := v.Group()
		clean := make([]slog.Attr, len(g))
		for i, x := range g {
			clean[i] = Attr(x)
		}
		return slog.Attr{Key: a.Key, Value: slog.GroupValue(clean...)}
	case slog.KindAny:
		switch x := v.Any().(type) {
		case error:
			return slog.Any(a.Key, Error(x))
		case interface{ String() string }:
			return slog.String(a.Key, String(x.String()))
		}
	}
	return slog.Attr{Key: a.Key, Value: v}
}
