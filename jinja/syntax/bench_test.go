package syntax

import (
	"strings"
	"testing"
)

// bigTemplate is a ~100 KB device configuration template in Infrahub's style.
func bigTemplate() string {
	unit := `{% for intf in data.InfraDevice.edges[0].node.interfaces.edges %}
  {% if intf.node.enabled.value and intf.node.role.value in ["uplink", "server"] %}
interface {{ intf.node.name.value | upper }}
   description {{ intf.node.description.value | default("-", true) ~ " (" ~ loop.index ~ ")" }}
   {%- if intf.node.ip_addresses.edges | length > 0 %}
   ip address {{ intf.node.ip_addresses.edges[0].node.address.value }}
   {%- endif %}
   mtu {{ intf.node.mtu.value if intf.node.mtu.value is not none else 1500 }}
  {% else %}
{# disabled: {{ intf.node.name.value }} #}
  {% endif %}
{% endfor %}
{% set ns = namespace(count=0) %}{% set ns.count = ns.count + 1 %}
{% macro bgp(peer, asn=65000, opts={'a': 1, 'b': [1, 2, 3]}) %}neighbor {{ peer }} remote-as {{ asn }}{% endmacro %}
`
	return strings.Repeat(unit, 100*1024/len(unit)+1)
}

func BenchmarkParse100KB(b *testing.B) {
	src := bigTemplate()
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		if _, err := Parse(src, Options{TrimBlocks: true, LstripBlocks: true}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkTokenize100KB(b *testing.B) {
	src := bigTemplate()
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		if _, err := Tokenize(src, Options{TrimBlocks: true, LstripBlocks: true}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPathological: sources built to make a backtracking or rescanning lexer quadratic
// (1 MB each); each should cost about as much per byte as BenchmarkParse100KB.
func BenchmarkPathological(b *testing.B) {
	const n = 1 << 20
	for _, c := range []struct{ name, src string }{
		{"braces", strings.Repeat("{", n)},
		{"open tags", strings.Repeat("{% raw %}{%", n/11)},
		{"raw", "{% raw %}" + strings.Repeat("{% endraw x", n/11)},
		{"comment", "{#" + strings.Repeat("-#", n/2)},
		{"strings", "{{ " + strings.Repeat("'a' ", n/4) + "}}"},
		{"unterminated", "{{ " + strings.Repeat("\"a\\\"", n/4)},
		{"data", strings.Repeat("a\n", n/2)},
		{"ifs", strings.Repeat("{% if x %}{% endif %}", n/21)},
		{"tuple", "{{ " + strings.Repeat("a, ", n/3) + "}}"},
		{"spaces", "{{ x" + strings.Repeat(" ", n) + "}}"},
		{"dashes", strings.Repeat("  {%- if x -%}  {% endif %}", n/27)},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(c.src)))
			for b.Loop() {
				_, _ = Parse(c.src, Options{TrimBlocks: true, LstripBlocks: true})
			}
		})
	}
}
