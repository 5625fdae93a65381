// Package authz is the one authorization point: who is asking (an Identity carried in the
// request's context) and what they may do. Transports (HTTP, GraphQL, the CLI) establish the
// identity; commands and queries ask this package, never decide permissions themselves.
package authz

import "context"

// Identity is who a request acts for.
type Identity struct {
	AccountID   string // the CoreAccount's node id; empty for anonymous
	Name        string // the account's name (login); "anonymous" when anonymous
	AccountType string // User, Script, Bot or Git
	Anonymous   bool
	// ByJWT is set when the request presented a login (JWT) access token, not an API token
	// (Infrahub's authenticated_by_jwt): managing one's own tokens and profile needs it.
	ByJWT bool
	// Permissions is what the identity was granted (Resolver.Resolve fills it); nil grants
	// nothing.
	Permissions *Permissions
}

// Anonymous is the identity of a request that presented no credentials.
// Its Permissions are those of the anonymous role, once resolved.
var Anonymous = &Identity{Name: "anonymous", Anonymous: true}

// System is the server acting for itself (start-up defaults, replays): a super admin. Never
// hand it to a request.
var System = &Identity{Name: "infrahub", AccountType: "Bot",
	Permissions: NewPermissions([]GlobalPermission{{Action: SuperAdmin, Decision: AllowAll}}, nil)}

type ctxKey struct{}

// With answers ctx carrying id.
func With(ctx context.Context, id *Identity) context.Context {
	return context.WithValue(ctx, ctxKey{}, id)
}

// From answers the identity ctx carries, or nil when none was set (work the server does for
// itself: start-up defaults, replays, tests of lower layers).
func From(ctx context.Context) *Identity {
	id, _ := ctx.Value(ctxKey{}).(*Identity)
	return id
}
