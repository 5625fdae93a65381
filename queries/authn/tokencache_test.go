package authn

import "testing"

// A verification is answered until a fold changes a node it read or something it cannot
// attribute; one that began before a fold is not kept (it may have read the graph before it).
func TestTokenCache(t *testing.T) {
	c := NewTokenCache(2)
	c.keep(c.begin(), "d0", verified{})
	if _, ok := c.lookup("d0"); ok {
		t.Error("a verification was kept before any fold was reported")
	}
	c.Folded(false, nil)
	alice := verified{acct: account{id: "acc-1", name: "alice"}}
	keep := func(digest string, ids ...string) {
		t.Helper()
		c.keep(c.begin(), digest, alice, ids...)
		if _, ok := c.lookup(digest); !ok {
			t.Fatalf("%s was not kept", digest)
		}
	}

	keep("d1", "tok-1", "acc-1")
	c.Folded(false, []string{"other", "node"})
	if v, ok := c.lookup("d1"); !ok || v.acct.name != "alice" {
		t.Errorf("after a fold of other nodes: %v %v; want kept", v, ok)
	}
	for name, fold := range map[string]func(){
		"the token changed":   func() { c.Folded(false, []string{"x", "tok-1"}) },
		"the account changed": func() { c.Folded(false, []string{"acc-1"}) },
		"anything changed":    func() { c.Folded(true, nil) },
	} {
		keep("d1", "tok-1", "acc-1")
		fold()
		if _, ok := c.lookup("d1"); ok {
			t.Errorf("%s: the verification is still answered", name)
		}
	}

	from := c.begin()
	c.Folded(false, []string{"unrelated"})
	c.keep(from, "d2", alice, "tok-2", "acc-1")
	if _, ok := c.lookup("d2"); ok {
		t.Error("a verification that began before a fold was kept")
	}

	// At most max verifications: a full cache starts afresh.
	keep("a", "tok-a")
	keep("b", "tok-b")
	keep("c", "tok-c")
	if _, ok := c.lookup("a"); ok {
		t.Error("the cache holds more than its maximum")
	}

	var none *TokenCache // no cache: nothing is kept, folds are ignored
	none.keep(none.begin(), "d", alice)
	none.Folded(true, nil)
	if _, ok := none.lookup("d"); ok {
		t.Error("a nil cache answered a verification")
	}
}
