package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"
)

// The CLI authenticates as infrahubctl does: INFRAHUB_API_TOKEN is sent as X-INFRAHUB-KEY;
// else INFRAHUB_USERNAME and INFRAHUB_PASSWORD log in at /api/auth/login once per process and
// the access token is sent as `Authorization: Bearer`. With neither, requests are anonymous.

var cliLogins sync.Map // base URL + user -> access token

// authenticate adds the credentials env names to req (sent to base).
func authenticate(ctx context.Context, env map[string]string, base string, req *http.Request) error {
	if tok := env["INFRAHUB_API_TOKEN"]; tok != "" {
		req.Header.Set("X-INFRAHUB-KEY", tok)
		return nil
	}
	user, pass := env["INFRAHUB_USERNAME"], env["INFRAHUB_PASSWORD"]
	if user == "" || pass == "" {
		return nil
	}
	key := base + "\x00" + user
	if tok, ok := cliLogins.Load(key); ok {
		req.Header.Set("Authorization", "Bearer "+tok.(string))
		return nil
	}
	body, _ := json.Marshal(map[string]string{"username": user, "password": pass})
	lr, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(base, "/")+"/api/auth/login", bytes.NewReader(body))
	if err != nil {
		return err
	}
	lr.Header.Set("Content-Type", "application/json")
	resp, err := (&http.Client{Timeout: time.Minute}).Do(lr)
	if err != nil {
		return fmt.Errorf("logging in at %s: %w", base, err)
	}
	defer resp.Body.Close()
	var out struct {
		AccessToken string `json:"access_token"`
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&out) != nil || out.AccessToken == "" {
		return fmt.Errorf("logging in at %s as %s (INFRAHUB_USERNAME, INFRAHUB_PASSWORD): server answered %s", base, user, resp.Status)
	}
	cliLogins.Store(key, out.AccessToken)
	req.Header.Set("Authorization", "Bearer "+out.AccessToken)
	return nil
}
