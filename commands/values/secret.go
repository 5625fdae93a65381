package values

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"golang.org/x/crypto/bcrypt"

	"github.com/infrahub-go/infrahub/schema"
)

// PasswordCost is the bcrypt cost of a HashedPassword value.
const PasswordCost = bcrypt.DefaultCost

// hashedPassword stores a HashedPassword value as its bcrypt hash: the clear value never reaches
// an event. A value that is already a bcrypt hash (a dump loaded back, an unchanged value sent
// again) is kept as it is.
func hashedPassword(a *schema.Attribute, v any) (any, error) {
	clear, err := str(a, v)
	if err != nil {
		return nil, err
	}
	if IsPasswordHash(clear) {
		return clear, nil
	}
	if len(clear) > 72 {
		return nil, fail(a, "(hidden)", "a password is at most 72 bytes")
	}
	h, err := bcrypt.GenerateFromPassword([]byte(clear), PasswordCost)
	if err != nil {
		return nil, fail(a, "(hidden)", "the password cannot be hashed")
	}
	return string(h), nil
}

// IsPasswordHash reports whether s is a bcrypt hash ($2a$, $2b$ or $2y$ with its cost).
func IsPasswordHash(s string) bool {
	if len(s) != 60 || !(strings.HasPrefix(s, "$2a$") || strings.HasPrefix(s, "$2b$") || strings.HasPrefix(s, "$2y$")) {
		return false
	}
	_, err := bcrypt.Cost([]byte(s))
	return err == nil
}

// CheckPassword reports whether clear is the password whose hash is stored.
func CheckPassword(stored, clear string) bool {
	return IsPasswordHash(stored) && bcrypt.CompareHashAndPassword([]byte(stored), []byte(clear)) == nil
}

// tokenDigestPrefix marks a stored API token digest.
const tokenDigestPrefix = "sha256:"

// TokenDigest is the stored form of an API token (InternalAccountToken.token): its SHA-256, which
// is enough for a random value of 128 bits or more. A digest given again is kept as it is.
func TokenDigest(token string) string {
	if IsTokenDigest(token) {
		return token
	}
	return string(AppendTokenDigest(make([]byte, 0, len(tokenDigestPrefix)+2*sha256.Size), token))
}

// AppendTokenDigest appends TokenDigest(token) to dst: a caller that only looks the digest up
// (every authenticated request) need not allocate it.
func AppendTokenDigest(dst []byte, token string) []byte {
	if IsTokenDigest(token) {
		return append(dst, token...)
	}
	var sum [sha256.Size]byte
	var tmp [128]byte
	if len(token) <= len(tmp) { // an API token: hashed from the stack
		sum = sha256.Sum256(tmp[:copy(tmp[:], token)])
	} else {
		sum = sha256.Sum256([]byte(token))
	}
	return hex.AppendEncode(append(dst, tokenDigestPrefix...), sum[:])
}

// IsTokenDigest reports whether s is a stored token digest.
func IsTokenDigest(s string) bool {
	if len(s) != len(tokenDigestPrefix)+64 || !strings.HasPrefix(s, tokenDigestPrefix) {
		return false
	}
	_, err := hex.DecodeString(s[len(tokenDigestPrefix):])
	return err == nil
}

// Secret reports whether an attribute's stored value is never answered: a HashedPassword, or the
// digest of an API token.
func Secret(kind string, a *schema.Attribute) bool {
	return a.Kind == KindHashedPassword || (kind == TokenKind && a.Name == "token")
}

// TokenKind is the kind of API tokens.
const TokenKind = "InternalAccountToken"

// Hidden reports whether a stored value is never answered by a read that does not have the
// schema at hand (REST answers, dumps): a password hash, an API token digest, or the password of
// an account stored before passwords were hashed.
func Hidden(kind, name string, v any) bool {
	s, ok := v.(string)
	if !ok {
		return false
	}
	return IsPasswordHash(s) || IsTokenDigest(s) || (kind == TokenKind && name == "token") ||
		(name == "password" && strings.HasSuffix(kind, "Account"))
}

// AnsweredHFID answers the human-friendly id of a node of kind as reads answer it: an API token's
// is derived from its digest (its uniqueness constraint) and is never answered.
func AnsweredHFID(kind string, hfid []string) []string {
	if kind == TokenKind {
		return nil
	}
	return hfid
}
