package rest_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/infrahub-go/infrahub/queries/rest"
)

// GET /api/config answers the server's anonymous access setting as Infrahub's ConfigAPI does
// (backend/infrahub/api/internal.py: main.allow_anonymous_access and main.anonymous_access_role
// from the settings), which the web UI reads to show the login page first.
func TestConfigAnonymousAccess(t *testing.T) {
	for _, tc := range []struct {
		app   rest.App
		allow bool
		role  string
	}{
		{rest.App{AllowAnonymousAccess: true}, true, "Anonymous User"},
		{rest.App{AllowAnonymousAccess: false, AnonymousAccessRole: "Viewers"}, false, "Viewers"},
	} {
		mux := http.NewServeMux()
		tc.app.Register(mux)
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/config", nil))
		var cfg struct {
			Main struct {
				Allow *bool  `json:"allow_anonymous_access"`
				Role  string `json:"anonymous_access_role"`
			} `json:"main"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &cfg); err != nil || rec.Code != http.StatusOK {
			t.Fatalf("config: %d %v %s", rec.Code, err, rec.Body)
		}
		if cfg.Main.Allow == nil || *cfg.Main.Allow != tc.allow || cfg.Main.Role != tc.role {
			t.Errorf("config main with %+v: %s", tc.app, rec.Body)
		}
	}
}
