package commands

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/infrahub-go/infrahub/authz"
	"github.com/infrahub-go/infrahub/branch/nodes"
)

// Names of the account groups and roles every Infrahub holds (Infrahub's initialization.py).
const (
	GroupSuperAdministrators = "Super Administrators"
	GroupInfrahubUsers       = "Infrahub Users"
	RoleSuperAdministrator   = "Super Administrator"
	RoleGeneralAccess        = "General Access"
	// AdminAccount is the account created at first start, made a member of the Super
	// Administrators group once it exists.
	AdminAccount = "admin"
)

// accountDefaults is the object file of the default permissions, roles and groups, as Infrahub
// creates them at first start: the Super Administrator role (super_admin) of the Super
// Administrators group; the General Access role (manage repositories and the schema, merge
// proposed changes, view everything, change anything outside the default branch) of the
// Infrahub Users group; the anonymous role (view everything, deny any other action); and the
// other global permissions, granted to no role, so that they can be. %[1]q is the anonymous role.
const accountDefaults = `---
apiVersion: infrahub.app/v1
kind: Object
spec:
  kind: CoreAccountRole
  data:
    - name: "Super Administrator"
    - name: "General Access"
    - name: %[1]q
---
apiVersion: infrahub.app/v1
kind: Object
spec:
  kind: CoreGlobalPermission
  data:
    - {action: super_admin, decision: 6, description: "Allow a user to do anything", roles: ["Super Administrator"]}
    - {action: manage_repositories, decision: 6, description: "Allow a user to manage repositories", roles: ["General Access"]}
    - {action: manage_schema, decision: 6, description: "Allow a user to manage the schema", roles: ["General Access"]}
    - {action: merge_proposed_change, decision: 6, description: "Allow a user to merge proposed changes", roles: ["General Access"]}
    - {action: edit_default_branch, decision: 6, description: "Allow a user to change data in the default branch"}
    - {action: manage_accounts, decision: 6, description: "Allow a user to manage accounts, account roles and account groups"}
    - {action: manage_permissions, decision: 6, description: "Allow a user to manage permissions"}
    - {action: merge_branch, decision: 6, description: "Allow a user to merge branches"}
---
apiVersion: infrahub.app/v1
kind: Object
spec:
  kind: CoreObjectPermission
  data:
    - {namespace: "*", name: "*", action: view, decision: 6, description: "Allow a user to view any object in any branch", roles: ["General Access", %[1]q]}
    - {namespace: "*", name: "*", action: any, decision: 4, description: "Allow a user to change data in non-default branches", roles: ["General Access"]}
    - {namespace: "*", name: "*", action: any, decision: 1, roles: [%[1]q]}
---
apiVersion: infrahub.app/v1
kind: Object
spec:
  kind: CoreAccountGroup
  data:
    - {name: "Super Administrators", roles: ["Super Administrator"]}
    - {name: "Infrahub Users", roles: ["General Access"]}
`

// ensureAccountDefaults writes the default permissions, roles and groups once (the command id
// makes it happen once per log, even when several servers start together, and never again
// after an administrator changed or removed them), then makes the admin account a Super
// Administrator when it exists. It reports whether it wrote anything.
func (s *Service) ensureAccountDefaults(ctx context.Context) (bool, error) {
	v, err := s.w.state.View(s.w.def, 0)
	if err != nil {
		return false, err
	}
	if _, ok := v.Schema.Node(authz.KindAccountRole); !ok {
		return false, nil
	}
	wrote := false
	if _, ok := v.ByHFID(authz.KindAccountGroup, []string{GroupSuperAdministrators}); !ok {
		role := s.anonymousRole
		raw, _ := json.Marshal(LoadObjects{Files: []ObjectFile{{Name: "builtin-accounts.yml", Content: fmt.Sprintf(accountDefaults, role)}}})
		res, err := s.Dispatch(ctx, Command{Type: TypeLoadObjects, ID: "builtin-account-defaults",
			Actor: "infrahub", Payload: raw})
		if err != nil {
			return false, fmt.Errorf("creating the default account groups and roles: %w", err)
		}
		wrote = !res.Duplicate
	}
	added, err := s.EnsureSuperAdministrator(ctx, AdminAccount)
	return wrote || added, err
}

// EnsureSuperAdministrator makes the account named name a member of the Super Administrators
// group, once: when the account or the group does not exist yet it does nothing (the next
// start, or the caller creating the account, calls it again), and once done it is never redone
// (an administrator may take the account out of the group). It reports whether it wrote.
func (s *Service) EnsureSuperAdministrator(ctx context.Context, name string) (bool, error) {
	v, err := s.w.state.View(s.w.def, 0)
	if err != nil {
		return false, err
	}
	model, ok := v.Schema.Node(authz.KindAccountGroup)
	if !ok {
		return false, nil
	}
	members := model.Relationship("members")
	if members == nil {
		return false, nil
	}
	group, ok := v.ByHFID(authz.KindAccountGroup, []string{GroupSuperAdministrators})
	if !ok {
		return false, nil
	}
	account, ok := v.ByHFID(authz.KindGenericAccount, []string{name})
	if !ok || v.HasPeer(group, nodes.RelField(members.Identifier, members.Direction), account) {
		return false, nil
	}
	raw, _ := json.Marshal(RelationshipPeers{Kind: authz.KindAccountGroup, ID: group.String(), Name: "members",
		Peers: []json.RawMessage{json.RawMessage(fmt.Sprintf("%q", account.String()))}})
	res, err := s.Dispatch(ctx, Command{Type: TypeAddPeers, ID: "builtin-super-administrator-" + strings.ToLower(name),
		Actor: "infrahub", Payload: raw})
	if err != nil {
		return false, fmt.Errorf("making %s a super administrator: %w", name, err)
	}
	return !res.Duplicate, nil
}
