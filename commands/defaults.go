package commands

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/infrahub-go/infrahub/commands/values"
	"github.com/infrahub-go/infrahub/fault"
	"golang.org/x/crypto/bcrypt"
)

// EnsureDefaults writes what every Infrahub holds when it is missing: the default account
// groups, roles and permissions (ensureAccountDefaults; the admin account joins the Super
// Administrators group once it exists) and the default IP namespace (an IpamNamespace named
// "default"; BuiltinIPNamespace is its generic). The command ids make each happen once, even
// when several servers start together. It reports whether it wrote anything.
func (s *Service) EnsureDefaults(ctx context.Context) (bool, error) {
	accounts, err := s.ensureAccountDefaults(ctx)
	if err != nil {
		return false, err
	}
	ns, err := s.ensureIPNamespace(ctx)
	return accounts || ns, err
}

func (s *Service) ensureIPNamespace(ctx context.Context) (bool, error) {
	v, err := s.w.state.View(s.w.def, 0)
	if err != nil {
		return false, err
	}
	if _, ok := v.Schema.Node("IpamNamespace"); !ok {
		return false, nil
	}
	if _, ok := v.ByHFID("BuiltinIPNamespace", []string{"default"}); ok {
		return false, nil
	}
	payload, _ := json.Marshal(map[string]any{"kind": "IpamNamespace",
		"data": map[string]any{"name": "default", "description": "Used to provide a default space of IP resources"}})
	if _, err := s.Dispatch(ctx, Command{Type: TypeUpsertNode, ID: "builtin-ip-namespace-default",
		Actor: "infrahub", Payload: payload}); err != nil {
		return false, fmt.Errorf("creating the default IP namespace: %w", err)
	}
	return true, nil
}

// AdminName is the account created at first start.
const AdminName = "admin"

// EnsureAdmin creates the admin account at first start (Infrahub's initial admin): a CoreAccount
// named "admin" whose password is password, and, when token is not empty, an API token of that
// account. Once the account exists it does nothing, so a changed password setting never
// overrides a password changed since. The password is hashed here already, so that not even the
// command's idempotency hash is derived from it. It reports whether it wrote anything.
func (s *Service) EnsureAdmin(ctx context.Context, password, token string) (bool, error) {
	v, err := s.w.state.View(s.w.def, 0)
	if err != nil {
		return false, err
	}
	if _, ok := v.Schema.Node("CoreAccount"); !ok {
		return false, nil
	}
	if _, ok := v.ByHFID("CoreGenericAccount", []string{AdminName}); ok {
		return false, nil
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), values.PasswordCost)
	if err != nil {
		return false, fmt.Errorf("%w: INFRAHUB_INITIAL_ADMIN_PASSWORD: %w", fault.ErrInvalid, err)
	}
	payload, _ := json.Marshal(map[string]any{"kind": "CoreAccount", "data": map[string]any{
		"name": AdminName, "label": "Admin", "password": string(hash), "account_type": "User", "status": "active"}})
	res, err := s.Dispatch(ctx, Command{Type: TypeUpsertNode, ID: "builtin-admin-account", Actor: "infrahub", Payload: payload})
	if errors.Is(err, ErrIdempotencyConflict) {
		return false, nil // another server created it at the same time
	}
	if err != nil {
		return false, fmt.Errorf("creating the admin account: %w", err)
	}
	if token == "" {
		return true, nil
	}
	out, _ := res.Data.(NodeOutcome)
	digest := values.TokenDigest(token)
	payload, _ = json.Marshal(map[string]any{"kind": values.TokenKind, "data": map[string]any{
		"name": "initial admin token", "token": digest, "account": map[string]any{"id": out.ID}}})
	if _, err := s.Dispatch(ctx, Command{Type: TypeCreateNode, ID: "builtin-admin-token", Actor: "infrahub", Payload: payload}); err != nil &&
		!errors.Is(err, ErrIdempotencyConflict) {
		return true, fmt.Errorf("creating the admin token (INFRAHUB_INITIAL_ADMIN_TOKEN): %w", err)
	}
	return true, nil
}
