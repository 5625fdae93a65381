package schema_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/infrahub-go/infrahub/schema"
)

func TestTemplateRender(t *testing.T) {
	tests := []struct {
		name, src string
		vars      []string
		values    map[string]any
		want      string
	}{
		{"attribute and peer", "{{ name__value }}-{{ site__name__value }}", []string{"name__value", "site__name__value"},
			map[string]any{"name__value": "r1", "site__name__value": "par"}, "r1-par"},
		{"missing renders None, as Python prints it", "{{ name__value }}-{{ site__name__value }}", []string{"name__value", "site__name__value"},
			map[string]any{"name__value": "r1"}, "r1-None"},
		{"default of None is None: the argument is for undefined", "{{ site__name__value|default('x') }}", []string{"site__name__value"},
			map[string]any{}, "None"},
		{"lists print as Python lists", "{{ tags__value }}", []string{"tags__value"},
			map[string]any{"tags__value": []any{"a", float64(2)}}, "['a', 2]"},
		{"filters", "{{ grid__name__value }}-{{ band_name__value|upper }}", []string{"band_name__value", "grid__name__value"},
			map[string]any{"grid__name__value": "50GHz", "band_name__value": "c_band"}, "50GHz-C_BAND"},
		{"whole numbers are integers", "CH{{ channel_number__value }}", []string{"channel_number__value"},
			map[string]any{"channel_number__value": float64(20)}, "CH20"},
		{"python string format", "P{{ '{:02d}'.format(port_number__value) }}", []string{"port_number__value"},
			map[string]any{"port_number__value": float64(7)}, "P07"},
		{"conditionals, names after a dot are no variables", "{% if role__value %}{{ role__value.upper() }}{% else %}none{% endif %}",
			[]string{"role__value"}, map[string]any{}, "none"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tpl, err := schema.ParseTemplate(tt.src)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(tpl.Variables(), tt.vars) {
				t.Errorf("variables %v, want %v", tpl.Variables(), tt.vars)
			}
			got, err := tpl.Render(tt.values)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestTemplateRefused(t *testing.T) {
	for _, src := range []string{"{{ name__value ", "{% if x %}no end", `{% include "/etc/passwd" %}`, "{% extends \"/template\" %}",
		"{{ name__value|map('upper')|join }}", `{% if a %}{% import "x" as y %}{% endif %}`} {
		if _, err := schema.ParseTemplate(src); err == nil || !strings.Contains(err.Error(), "invalid Jinja2 template") {
			t.Errorf("%q: err = %v, want an invalid template", src, err)
		}
	}
}
