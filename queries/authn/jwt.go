package authn

import (
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// claims are Infrahub's JWT claims (backend/infrahub/auth.py generate_access_token and
// generate_refresh_token): sub is the account id, session_id the InternalRefreshToken's id,
// type "access" or "refresh".
type claims struct {
	jwt.RegisteredClaims
	Fresh     bool   `json:"fresh"`
	Type      string `json:"type"`
	SessionID string `json:"session_id"`
}

// sign answers a token of typ for the account, in the session, valid until exp.
func (x *Authenticator) sign(accountID, sessionID, typ string, exp time.Time) (string, error) {
	now := x.cfg.Now()
	c := claims{RegisteredClaims: jwt.RegisteredClaims{Subject: accountID, IssuedAt: jwt.NewNumericDate(now),
		NotBefore: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(exp)},
		Type: typ, SessionID: sessionID}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(x.cfg.Key)
}

// parse checks a token's signature (HS256 only), its times and its type, with Infrahub's
// messages.
func (x *Authenticator) parse(token, typ string) (*claims, error) {
	var c claims
	_, err := jwt.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return x.cfg.Key, nil },
		jwt.WithValidMethods([]string{"HS256"}), jwt.WithTimeFunc(x.cfg.Now), jwt.WithExpirationRequired())
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return nil, fmt.Errorf("%w: Expired Signature", ErrUnauthorized)
	case err != nil || c.Subject == "" || c.SessionID == "":
		return nil, fmt.Errorf("%w: Invalid token", ErrUnauthorized)
	case c.Type != typ:
		return nil, fmt.Errorf("%w: Invalid token, current token is not an %s token", ErrUnauthorized, typ)
	}
	return &c, nil
}
