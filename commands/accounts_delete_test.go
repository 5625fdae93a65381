package commands_test

import (
	"testing"

	"github.com/infrahub-go/infrahub/commands"
)

// An account that has API tokens and login sessions can be deleted: its tokens go with it
// (CoreGenericAccount.tokens cascades), its sessions stay without an account and refresh nothing.
func TestDeleteAccountWithTokensAndSessions(t *testing.T) {
	f := newNodeFixture(t)
	acct := f.create(t, "CoreAccount", map[string]any{"name": "leaver", "password": "s3cret-pass", "account_type": "User"})
	f.create(t, "InternalAccountToken", map[string]any{"name": "t1", "token": "sha256:" + "ab12", "account": map[string]any{"id": acct}})
	f.create(t, "InternalRefreshToken", map[string]any{"expiration": "2030-01-01T00:00:00Z", "account": map[string]any{"id": acct}})
	if n := len(f.view(t, "main").Nodes("InternalAccountToken")); n != 1 {
		t.Fatalf("%d tokens before", n)
	}
	f.run(t, commands.TypeDeleteNode, map[string]any{"kind": "CoreAccount", "id": acct})
	v := f.view(t, "main")
	if n := len(v.Nodes("CoreAccount")); n != 0 {
		t.Fatalf("%d accounts after the delete", n)
	}
	if n := len(v.Nodes("InternalAccountToken")); n != 0 {
		t.Fatalf("the account's token survived it: %d", n)
	}
	if n := len(v.Nodes("InternalRefreshToken")); n != 1 {
		t.Fatalf("%d sessions after the delete", n)
	}
}
