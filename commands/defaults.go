package commands

import (
	"context"
	"encoding/json"
	"fmt"
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
