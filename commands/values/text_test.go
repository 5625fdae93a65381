package values

import (
	"testing"
	"time"

	"github.com/infrahub-go/infrahub/schema"
)

func TestText(t *testing.T) {
	name := attr("name", KindText)
	short := attr("shortname", KindText, params(schema.Parameters{MinLength: ptr(2), MaxLength: ptr(5)}))
	legacy := attr("code", KindText, func(a *schema.Attribute) { a.Regex = ptr(`[A-Z]{2}`); a.MaxLength = ptr(3) })
	slug := attr("slug", KindString, params(schema.Parameters{Regex: ptr(`[a-z0-9-]+$`)}))
	look := attr("secret", KindTextArea, params(schema.Parameters{Regex: ptr(`^(?=.*[A-Z]).+$`)}))
	runRows(t, []row{
		{"plain", name, "Paris 1", "Paris 1", ""},
		{"empty string", name, "", "", ""},
		{"unicode length", short, "Zürich", nil, `"Zürich" is 6 characters long, longer than max_length 5`},
		{"unicode within", short, "Zür", "Zür", ""},
		{"too short", short, "a", nil, `"a" is 1 characters long, shorter than min_length 2`},
		{"number refused", name, 12.0, nil, "expected a string for kind Text, got number 12"},
		{"bool refused", name, true, nil, "expected a string for kind Text, got boolean true"},
		{"list refused", name, []any{"a"}, nil, "expected a string for kind Text, got a list"},
		{"nil mandatory", name, nil, nil, "a value is required"},
		{"nil optional", attr("description", KindText, optional), nil, nil, ""},
		{"legacy regex ok", legacy, "FRx", "FRx", ""},
		{"legacy regex match from start", legacy, "xFR", nil, `"xFR" does not match the regex "[A-Z]{2}"`},
		{"legacy max length", legacy, "FRAN", nil, "longer than max_length 3"},
		{"regex anchored end", slug, "par-01", "par-01", ""},
		{"regex fails", slug, "Par 01", nil, `does not match the regex "[a-z0-9-]+$"`},
		{"lookaround unchecked", look, "lowercase only", "lowercase only", ""},
		{"textarea", attr("notes", KindTextArea), "a\nb", "a\nb", ""},
		{"enum ok", attr("timezone", KindText, enum("CET", "EST")), "CET", "CET", ""},
		{"enum refused", attr("timezone", KindText, enum("CET", "EST")), "PST", nil, `"PST" is not one of CET, EST`},
		{"unknown kind", attr("x", "Blob"), "a", nil, `unknown attribute kind "Blob"`},
		{"id", attr("id", KindID), "17f3-aa", "17f3-aa", ""},
		{"password", attr("password", KindPassword), "s3cr3t", "s3cr3t", ""},
		{"hashed password", attr("hash", KindHashedPassword), 1, nil, "expected a string for kind HashedPassword, got number 1"},
		{"file", attr("file", KindFile), "a.txt", "a.txt", ""},
	})
}

func TestDropdown(t *testing.T) {
	status := attr("status", KindDropdown, choices("active", "maintenance", "provisioning"))
	withAbsent := attr("role", KindDropdown, choices("edge", "core"), func(a *schema.Attribute) {
		a.Choices = append(a.Choices, &schema.Choice{Name: "old", State: schema.StateAbsent})
	})
	runRows(t, []row{
		{"choice", status, "active", "active", ""},
		{"typo", status, "actve", nil, `attribute "status": "actve" is not one of active, maintenance, provisioning`},
		{"case matters", status, "Active", nil, `"Active" is not one of`},
		{"number refused", status, 1, nil, "expected a string for kind Dropdown, got number 1"},
		{"absent choice refused", withAbsent, "old", nil, `"old" is not one of core, edge`},
		{"sorted like Infrahub", attr("size", KindDropdown, choices("small", "large", "medium")), "huge", nil, `"huge" is not one of large, medium, small`},
		{"empty choice", attr("kind", KindDropdown, choices("", "x")), "", "", ""},
	})
}

func TestEmailURLColor(t *testing.T) {
	mail := attr("email", KindEmail)
	u := attr("url", KindURL)
	c := attr("color", KindColor)
	runRows(t, []row{
		{"email", mail, "ops@example.com", "ops@example.com", ""},
		{"email plus", mail, "ops+noc@example.co.uk", "ops+noc@example.co.uk", ""},
		{"email no at", mail, "ops.example.com", nil, `"ops.example.com" is not a valid email address`},
		{"email display name", mail, "Ops <ops@example.com>", nil, "is not a valid email address"},
		{"email no dot in domain", mail, "ops@localhost", nil, "is not a valid email address"},
		{"url", u, "https://infrahub.example.com/path?q=1", "https://infrahub.example.com/path?q=1", ""},
		{"url port", u, "http://10.0.0.1:8000", "http://10.0.0.1:8000", ""},
		{"url relative", u, "/api/schema", nil, `"/api/schema" is not a valid URL: no scheme`},
		{"url no host", u, "mailto:ops@example.com", nil, "no host"},
		{"url space", u, "http://exa mple.com", nil, "is not a valid URL"},
		{"color", c, "#AABBCC", "#aabbcc", ""},
		{"color short", c, "#abc", nil, `"#abc" is not a valid color, expected #rrggbb`},
		{"color no hash", c, "aabbcc", nil, "is not a valid color"},
		{"color bad digit", c, "#aabbcg", nil, "is not a valid color"},
	})
}

func TestDateTime(t *testing.T) {
	d := attr("at", KindDateTime)
	runRows(t, []row{
		{"utc", d, "2024-01-31T12:00:00Z", "2024-01-31T12:00:00Z", ""},
		{"offset to utc", d, "2024-01-31T14:00:00+02:00", "2024-01-31T12:00:00Z", ""},
		{"fraction trimmed", d, "2024-01-31T12:00:00.500000000Z", "2024-01-31T12:00:00.5Z", ""},
		{"nanoseconds kept", d, "2024-01-31T12:00:00.123456789-01:00", "2024-01-31T13:00:00.123456789Z", ""},
		{"zero fraction dropped", d, "2024-01-31T12:00:00.000Z", "2024-01-31T12:00:00Z", ""},
		{"time value", d, time.Date(2024, 1, 31, 12, 0, 0, 0, time.FixedZone("x", 3600)), "2024-01-31T11:00:00Z", ""},
		{"date only", d, "2024-01-31", nil, `"2024-01-31" is not an RFC 3339 date-time`},
		{"no zone", d, "2024-01-31T12:00:00", nil, "is not an RFC 3339 date-time"},
		{"bad month", d, "2024-13-01T00:00:00Z", nil, "is not an RFC 3339 date-time"},
		{"number", d, 1700000000, nil, "expected an RFC 3339 date-time string for kind DateTime, got number 1700000000"},
	})
}
