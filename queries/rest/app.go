package rest

import (
	"fmt"
	"net/http"

	"github.com/infrahub-go/infrahub/fault"
)

// App serves what Infrahub's web UI asks first, in Infrahub's shapes
// (backend/infrahub/api/internal.py and the settings of backend/infrahub/config.py):
//
//	GET /api/config  ConfigAPI: whether anonymous access is allowed, no SSO provider, no analytics nor
//	                 remote logging, no experimental feature, the community edition
//	GET /api/info    InfoAPI: the deployment id and the server's version
//	GET /api/search/docs?query=&limit=  the search bar's documentation hits, a list of
//	                 SearchResultAPI ({title, url, breadcrumb}); Infrahub searches the lunr index of
//	                 its bundled documentation, which this server does not ship: always [] (a
//	                 missing query is refused, as FastAPI does)
//
// and answers any other /api path with a 404 JSON error ({"error": {"code", "message"}}), so
// that clients calling endpoints this server does not have (login, permissions, tasks,
// events...) get a clear answer.
type App struct {
	Version      string // the binary's version
	DeploymentID string // what GraphQL's InfrahubInfo answers too
	// AllowAnonymousAccess and AnonymousAccessRole are answered as Infrahub's
	// main.allow_anonymous_access and main.anonymous_access_role (INFRAHUB_ALLOW_ANONYMOUS_ACCESS,
	// INFRAHUB_ANONYMOUS_ACCESS_ROLE; "" is "Anonymous User").
	AllowAnonymousAccess bool
	AnonymousAccessRole  string
}

// Register adds the routes to mux.
func (a *App) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/config", a.config)
	mux.HandleFunc("GET /api/info", a.info)
	mux.HandleFunc("GET /api/search/docs", a.searchDocs)
	mux.HandleFunc("/api/", notFound)
}

// notFound answers any /api path that no route serves (an unknown path, or a known path with a
// method it does not take).
func notFound(w http.ResponseWriter, r *http.Request) {
	writeError(w, fmt.Errorf("%w: no endpoint %s %s on this server", fault.ErrNotFound, r.Method, r.URL.Path))
}

// configAPI is Infrahub's ConfigAPI.
type configAPI struct {
	Main                 mainSettings         `json:"main"`
	Logging              loggingSettings      `json:"logging"`
	Analytics            analyticsSettings    `json:"analytics"`
	ExperimentalFeatures experimentalSettings `json:"experimental_features"`
	SSO                  ssoInfo              `json:"sso"`
	InstallationType     string               `json:"installation_type"`
	Policy               policySettings       `json:"policy"`
}

type mainSettings struct {
	DocsIndexPath        string   `json:"docs_index_path"`
	InternalAddress      *string  `json:"internal_address"`
	AllowAnonymousAccess bool     `json:"allow_anonymous_access"`
	AnonymousAccessRole  string   `json:"anonymous_access_role"`
	TelemetryOptout      bool     `json:"telemetry_optout"`
	TelemetryEndpoint    string   `json:"telemetry_endpoint"`
	PermissionBackends   []string `json:"permission_backends"`
	PublicURL            *string  `json:"public_url"`
	SchemaStrictMode     bool     `json:"schema_strict_mode"`
}

type loggingSettings struct {
	Remote remoteLogging `json:"remote"`
}

type remoteLogging struct {
	Enable       bool    `json:"enable"`
	FrontendDSN  *string `json:"frontend_dsn"`
	APIServerDSN *string `json:"api_server_dsn"`
	GitAgentDSN  *string `json:"git_agent_dsn"`
}

type analyticsSettings struct {
	Enable  bool    `json:"enable"`
	Address *string `json:"address"`
	APIKey  *string `json:"api_key"`
}

type experimentalSettings struct {
	GraphQLEnums bool `json:"graphql_enums"`
	ValueDBIndex bool `json:"value_db_index"`
}

type ssoInfo struct {
	Providers []ssoProvider `json:"providers"`
	Enabled   bool          `json:"enabled"`
}

type ssoProvider struct {
	Name          string `json:"name"`
	DisplayLabel  string `json:"display_label"`
	Icon          string `json:"icon"`
	Protocol      string `json:"protocol"`
	AuthorizePath string `json:"authorize_path"`
	TokenPath     string `json:"token_path"`
}

type policySettings struct {
	RequiredProposedChangeApprovals int  `json:"required_proposed_change_approvals"`
	RevokeProposedChangeApprovals   bool `json:"revoke_proposed_change_approvals"`
}

func (a *App) config(w http.ResponseWriter, _ *http.Request) {
	role := a.AnonymousAccessRole
	if role == "" {
		role = "Anonymous User"
	}
	writeJSON(w, http.StatusOK, configAPI{
		Main: mainSettings{AllowAnonymousAccess: a.AllowAnonymousAccess, AnonymousAccessRole: role, TelemetryOptout: true,
			PermissionBackends: []string{}, SchemaStrictMode: true},
		SSO:              ssoInfo{Providers: []ssoProvider{}},
		InstallationType: "community",
	})
}

// searchResult is Infrahub's SearchResultAPI.
type searchResult struct {
	Title      string   `json:"title"`
	URL        string   `json:"url"`
	Breadcrumb []string `json:"breadcrumb"`
}

func (a *App) searchDocs(w http.ResponseWriter, r *http.Request) {
	if !r.URL.Query().Has("query") {
		writeError(w, fmt.Errorf("%w: query parameter query is required", fault.ErrInvalid))
		return
	}
	writeJSON(w, http.StatusOK, []searchResult{})
}

func (a *App) info(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"deployment_id": a.DeploymentID, "version": a.Version})
}
