package authz_test

import (
	"context"
	"testing"

	"github.com/infrahub-go/infrahub/authz"
)

func TestIdentityTravelsInContext(t *testing.T) {
	if authz.From(context.Background()) != nil {
		t.Fatal("a bare context carries an identity")
	}
	id := &authz.Identity{AccountID: "a1", Name: "admin", AccountType: "User"}
	if got := authz.From(authz.With(context.Background(), id)); got != id {
		t.Fatalf("From = %v", got)
	}
}
