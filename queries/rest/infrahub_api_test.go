package rest_test

import (
	"encoding/json"
	"net/http"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/infrahub-go/infrahub/commands"
	"github.com/infrahub-go/infrahub/internal/testenv"
)

// widget is a schema file as the SDK sends it (a YAML file's content as a JSON object).
func widget(attrs ...map[string]any) map[string]any {
	list := []any{map[string]any{"name": "name", "kind": "Text", "unique": true}}
	for _, a := range attrs {
		list = append(list, a)
	}
	return map[string]any{"version": "1.0", "nodes": []any{map[string]any{
		"name": "Widget", "namespace": "Test", "human_friendly_id": []any{"name__value"}, "attributes": list}}}
}

// emptyDiff is what `infrahubctl schema check` compares the answer with to print "No diff"
// (infrahub_sdk/ctl/schema.py, check).
var emptyDiff = map[string]any{"diff": map[string]any{"added": map[string]any{}, "changed": map[string]any{}, "removed": map[string]any{}}}

// The SDK's schema.check and schema.load (infrahub_sdk/schema/__init__.py, InfrahubSchema.check
// and .load: POST /api/schema/check?branch=main and /api/schema/load?branch=main with
// {"schemas": [...]}) and what infrahubctl reads of their answers (infrahub_sdk/ctl/schema.py).
func TestSDKSchemaCheckAndLoad(t *testing.T) {
	f := newFixture(t).infrahubAPI()
	post := func(path string, schemas ...any) (int, map[string]any) {
		t.Helper()
		status, body := f.do(t, http.MethodPost, path, map[string]any{"schemas": schemas})
		var out map[string]any
		if err := json.Unmarshal(body, &out); err != nil {
			t.Fatalf("%s: %v %s", path, err, body)
		}
		return status, out
	}

	// check: 202 and the diff; the new kind is added with Infrahub's empty HashableModelDiff
	status, out := post("/api/schema/check?branch=main", widget())
	want := map[string]any{"diff": map[string]any{"added": map[string]any{"TestWidget": map[string]any{
		"added": map[string]any{}, "changed": map[string]any{}, "removed": map[string]any{}}},
		"changed": map[string]any{}, "removed": map[string]any{}}}
	if status != http.StatusAccepted || !reflect.DeepEqual(out, want) {
		t.Fatalf("check: %d %v", status, out)
	}

	// load: 200, hash and previous_hash (SchemaLoadResponse), schema_updated, the diff, no warnings
	status, out = post("/api/schema/load?branch=main", widget())
	if status != http.StatusOK || out["hash"] == out["previous_hash"] || out["schema_updated"] != true ||
		!reflect.DeepEqual(out["diff"], want["diff"]) || !reflect.DeepEqual(out["warnings"], []any{}) {
		t.Fatalf("load: %d %v", status, out)
	}
	hash := out["hash"]

	// the same load again changes nothing: the hashes are equal, the SDK says "already up to date"
	status, out = post("/api/schema/load?branch=main", widget())
	if status != http.StatusOK || out["hash"] != hash || out["previous_hash"] != hash || out["schema_updated"] != false {
		t.Fatalf("load again: %d %v", status, out)
	}
	status, out = post("/api/schema/check?branch=main", widget())
	if status != http.StatusAccepted || !reflect.DeepEqual(out, emptyDiff) {
		t.Fatalf("check of what is loaded: %d %v, want %v (\"No diff\")", status, out, emptyDiff)
	}

	// a change: the kind's changed attributes, each with its changed properties
	status, out = post("/api/schema/check?branch=main", widget(map[string]any{"name": "color", "kind": "Text", "optional": true}))
	changed := map[string]any{"TestWidget": map[string]any{"added": map[string]any{}, "removed": map[string]any{},
		"changed": map[string]any{"attributes": map[string]any{"added": map[string]any{"color": nil},
			"changed": map[string]any{}, "removed": map[string]any{}}}}}
	if status != http.StatusAccepted || !reflect.DeepEqual(out["diff"].(map[string]any)["changed"], changed) {
		t.Fatalf("check of a change: %d %v", status, out)
	}

	// a refused schema: 422 with Infrahub's errors, which infrahubctl prints message by message
	// (handle_non_detail_errors reads "error" first, then "errors"); each message names the
	// element, the extensions repeat it
	bad := widget(map[string]any{"name": "status", "kind": "Dropdwn"})
	for _, path := range []string{"/api/schema/check?branch=main", "/api/schema/load?branch=main"} {
		status, out = post(path, bad)
		errs, _ := out["errors"].([]any)
		if status != http.StatusUnprocessableEntity || len(errs) != 1 || out["detail"] != nil || out["error"] != nil {
			t.Fatalf("%s refused: %d %v", path, status, out)
		}
		e := errs[0].(map[string]any)
		ext := e["extensions"].(map[string]any)
		// a file sent as a JSON object has no lines to point at: the file's index and the element
		if e["message"] != `schemas[0]: TestWidget.attributes[status].kind: unknown kind "Dropdwn"` ||
			ext["code"] != float64(422) || ext["element"] != "TestWidget.attributes[status].kind" || ext["file"] != "schemas[0]" ||
			ext["line"] != nil {
			t.Fatalf("%s error: %v", path, e)
		}
	}
	if _, b := f.do(t, http.MethodGet, "/api/schema/TestWidget?branch=main", nil); strings.Contains(string(b), "status") {
		t.Fatal("the refused load was written")
	}

	// a body that is not {"schemas": [...]}: 422 in the same shape
	status, body := f.do(t, http.MethodPost, "/api/schema/load?branch=main", map[string]any{"schema": []any{}})
	if status != http.StatusUnprocessableEntity || !strings.Contains(string(body), `"errors":[{"message":`) {
		t.Fatalf("bad body: %d %s", status, body)
	}
}

// The web UI's first requests: GET /api/config (getConfigFromApi in
// frontend/app/src/entities/config/api/get-config-from-api.ts) and GET /api/info
// (getAppInfoFromApi in get-app-info-from-api.ts), with the fields of ConfigAPI and InfoAPI
// (frontend/app/src/shared/api/rest/types.generated.ts) the UI reads.
func TestUIConfigAndInfo(t *testing.T) {
	f := newFixture(t).infrahubAPI()
	status, body := f.do(t, http.MethodGet, "/api/config", nil)
	var cfg struct {
		Main struct {
			AllowAnonymousAccess *bool    `json:"allow_anonymous_access"`
			AnonymousAccessRole  *string  `json:"anonymous_access_role"`
			TelemetryOptout      *bool    `json:"telemetry_optout"`
			PermissionBackends   []string `json:"permission_backends"`
			SchemaStrictMode     *bool    `json:"schema_strict_mode"`
		} `json:"main"`
		Logging struct {
			Remote struct {
				Enable      *bool   `json:"enable"`
				FrontendDSN *string `json:"frontend_dsn"`
			} `json:"remote"`
		} `json:"logging"`
		Analytics struct {
			Enable *bool `json:"enable"`
		} `json:"analytics"`
		ExperimentalFeatures map[string]bool `json:"experimental_features"`
		SSO                  struct {
			Providers []any `json:"providers"`
			Enabled   *bool `json:"enabled"`
		} `json:"sso"`
		InstallationType string `json:"installation_type"`
		Policy           struct {
			RequiredApprovals *int `json:"required_proposed_change_approvals"`
		} `json:"policy"`
	}
	if err := json.Unmarshal(body, &cfg); status != http.StatusOK || err != nil {
		t.Fatalf("config: %d %v %s", status, err, body)
	}
	if cfg.Main.AllowAnonymousAccess == nil || !*cfg.Main.AllowAnonymousAccess || cfg.Main.AnonymousAccessRole == nil ||
		cfg.Main.PermissionBackends == nil || cfg.Main.SchemaStrictMode == nil || cfg.Main.TelemetryOptout == nil {
		t.Errorf("config main: %s", body)
	}
	if cfg.SSO.Providers == nil || len(cfg.SSO.Providers) != 0 || cfg.SSO.Enabled == nil || *cfg.SSO.Enabled {
		t.Errorf("config sso: %s", body)
	}
	if cfg.Logging.Remote.Enable == nil || *cfg.Logging.Remote.Enable || cfg.Analytics.Enable == nil || *cfg.Analytics.Enable {
		t.Errorf("config logging/analytics: %s", body)
	}
	if _, ok := cfg.ExperimentalFeatures["graphql_enums"]; !ok || cfg.InstallationType != "community" || cfg.Policy.RequiredApprovals == nil {
		t.Errorf("config features/installation/policy: %s", body)
	}

	status, body = f.do(t, http.MethodGet, "/api/info", nil)
	var info map[string]any
	if err := json.Unmarshal(body, &info); status != http.StatusOK || err != nil || info["version"] != "1.2.3" || info["deployment_id"] != "infrahub-go" {
		t.Fatalf("info: %d %v %s", status, err, body)
	}
}

// menuEntry is Infrahub's MenuItemList (types.generated.ts), as the UI's sidebar reads it
// (sidebar-menu-section-object.tsx and sidebar-menu-section-internal.tsx: identifier, label,
// path, icon, children).
type menuEntry struct {
	ID          *string     `json:"id"`
	Namespace   *string     `json:"namespace"`
	Name        *string     `json:"name"`
	Description *string     `json:"description"`
	Protected   *bool       `json:"protected"`
	Label       *string     `json:"label"`
	Path        *string     `json:"path"`
	Icon        *string     `json:"icon"`
	Kind        *string     `json:"kind"`
	OrderWeight *int        `json:"order_weight"`
	Section     *string     `json:"section"`
	Permissions []string    `json:"permissions"`
	Children    []menuEntry `json:"children"`
	Identifier  *string     `json:"identifier"`
}

// getMenu sends the UI's request (getMenu in frontend/app/src/entities/menu/domain/get-menu.ts:
// GET /api/menu?branch=main) and checks every entry's fields.
func getMenu(t *testing.T, f *fixture) map[string][]menuEntry {
	t.Helper()
	status, body := f.do(t, http.MethodGet, "/api/menu?branch=main", nil)
	var menu struct {
		Sections map[string][]menuEntry `json:"sections"`
	}
	if err := json.Unmarshal(body, &menu); status != http.StatusOK || err != nil {
		t.Fatalf("menu: %d %v %.300s", status, err, body)
	}
	if menu.Sections["object"] == nil || menu.Sections["internal"] == nil {
		t.Fatalf("menu sections: %.300s", body)
	}
	var check func(section string, es []menuEntry, top bool)
	check = func(section string, es []menuEntry, top bool) {
		for i, e := range es {
			if e.Namespace == nil || e.Name == nil || e.Description == nil || e.Protected == nil || e.Label == nil ||
				e.Path == nil || e.Icon == nil || e.Kind == nil || e.OrderWeight == nil || e.Section == nil ||
				e.Permissions == nil || e.Children == nil || e.Identifier == nil || *e.Identifier != *e.Namespace+*e.Name {
				t.Fatalf("menu entry without a field: %+v", e)
			}
			if top && *e.Section != section {
				t.Errorf("%s in section %s", *e.Identifier, section)
			}
			if i > 0 && *es[i-1].OrderWeight > *e.OrderWeight {
				t.Errorf("%s is listed after %s of higher order_weight", *e.Identifier, *es[i-1].Identifier)
			}
			check(section, e.Children, false)
		}
	}
	for section, es := range menu.Sections {
		check(section, es, true)
	}
	return menu.Sections
}

func findEntry(es []menuEntry, id string) *menuEntry {
	for i := range es {
		if *es[i].Identifier == id {
			return &es[i]
		}
		if found := findEntry(es[i].Children, id); found != nil {
			return found
		}
	}
	return nil
}

func childIDs(e *menuEntry) []string {
	var out []string
	for _, c := range e.Children {
		out = append(out, *c.Identifier)
	}
	return out
}

// Without menu items, the menu is Infrahub's default one plus an entry for each kind of the
// schema shown in the menu (a top entry with the kind itself as first child).
func TestMenuDefault(t *testing.T) {
	f := newFixture(t).infrahubAPI()
	sections := getMenu(t, f)
	if e := findEntry(sections["internal"], "BuiltinBranches"); e == nil || *e.Path != "/branches" || *e.Label != "Branches" {
		t.Fatalf("internal section lacks Branches: %+v", e)
	}
	if e := findEntry(sections["internal"], "BuiltinGroups"); e == nil || *e.Path != "/objects/CoreGroup" || *e.Icon == "" {
		t.Fatalf("Groups entry: %+v", e)
	}
	other := findEntry(sections["object"], "BuiltinOther")
	if other == nil || !reflect.DeepEqual(childIDs(other), []string{"BuiltinTag"}) || *other.Children[0].Path != "/objects/BuiltinTag" {
		t.Fatalf("Other entry: %+v", other)
	}
	device := findEntry(sections["object"], "TestDevice")
	if device == nil || *device.Path != "/objects/TestDevice" || *device.Kind != "TestDevice" ||
		!reflect.DeepEqual(childIDs(device), []string{"TestDeviceSub"}) || *device.Children[0].OrderWeight != 1 {
		t.Fatalf("TestDevice entry: %+v", device)
	}
	if status, _ := f.do(t, http.MethodGet, "/api/menu?branch=nope", nil); status != http.StatusNotFound {
		t.Fatalf("unknown branch: %d", status)
	}
}

// The service catalog's menu file (stored as CoreMenuItem nodes) replaces the kinds' own entries;
// kinds it does not name go under their menu_placement.
func TestMenuFromMenuFile(t *testing.T) {
	repo := testenv.Corpus(t, "infrahub-demo-service-catalog")
	f := newFixture(t).infrahubAPI()
	f.loadSchemas(t, schemaPayloads(t, repo, "schemas/base", "schemas/location_minimal", "schemas/vlan", "schemas/service"))
	text, err := os.ReadFile(repo + "/menu.yml")
	if err != nil {
		t.Fatal(err)
	}
	f.command(t, commands.TypeLoadObjects, commands.LoadObjects{Files: []commands.ObjectFile{{Name: "menu.yml", Content: string(text)}}})
	sections := getMenu(t, f)
	loc := findEntry(sections["object"], "LocationMenu")
	if loc == nil || !reflect.DeepEqual(childIDs(loc), []string{"LocationGeneric", "LocationCountry", "LocationMetro", "LocationSite", "LocationRack"}) ||
		*loc.Label != "Location" || *loc.Icon != "mingcute:location-line" {
		t.Fatalf("Location entry: %+v", loc)
	}
	if site := findEntry(loc.Children, "LocationSite"); *site.Path != "/objects/LocationSite" || *site.Label != "Site" {
		t.Fatalf("site entry: %+v", site)
	}
	if dev := findEntry(sections["object"], "DcimNetworkDeviceMenu"); dev == nil || findEntry(dev.Children, "DcimDevice") == nil {
		t.Fatalf("device entry: %+v", dev)
	}
	// IpamVLAN's menu_placement is IpamL2Domain, which the file does not name: its own entry
	if l2 := findEntry(sections["object"], "IpamL2Domain"); l2 == nil || findEntry(l2.Children, "IpamVLAN") == nil {
		t.Fatalf("L2 domain entry: %+v", l2)
	}
	for _, e := range sections["object"] {
		if *e.Identifier == "LocationSite" || *e.Identifier == "DcimDevice" {
			t.Errorf("%s has a top entry of its own as well", *e.Identifier)
		}
	}
}

// Endpoints of later issues (login, permissions, tasks, events) are not there: any /api path
// no route serves answers a 404 JSON error, also a known path with a method it does not take.
func TestUnknownAPIPath(t *testing.T) {
	f := newFixture(t).infrahubAPI()
	for _, req := range []struct{ method, path string }{
		{http.MethodPost, "/api/auth/login"}, {http.MethodGet, "/api/oidc/google/authorize"},
		{http.MethodGet, "/api/storage/object/x"}, {http.MethodDelete, "/api/schema"},
	} {
		status, body := f.do(t, req.method, req.path, nil)
		var e struct {
			Error struct {
				Code    string `json:"code"`
				Message string `json:"message"`
			} `json:"error"`
		}
		if err := json.Unmarshal(body, &e); status != http.StatusNotFound || err != nil || e.Error.Code != "not_found" ||
			!strings.Contains(e.Error.Message, req.method+" "+req.path) {
			t.Errorf("%s %s: %d %s", req.method, req.path, status, body)
		}
	}
}
