package commands_test

import (
	"encoding/json"
	"sort"
	"strings"
	"testing"

	"github.com/infrahub-go/infrahub/branch"
	"github.com/infrahub-go/infrahub/commands"
)

const templateSchema = `
version: "1.0"
nodes:
  - name: Box
    namespace: Tpl
    generate_template: true
    human_friendly_id: [name__value]
    attributes:
      - {name: name, kind: Text, unique: true}
      - {name: role, kind: Text, optional: true}
      - {name: color, kind: Text, optional: true}
    relationships:
      - {name: ports, peer: TplPort, cardinality: many, kind: Component, optional: true}
  - name: Port
    namespace: Tpl
    human_friendly_id: [box__name__value, name__value]
    attributes:
      - {name: name, kind: Text}
      - {name: speed, kind: Number, optional: true}
    relationships:
      - {name: box, peer: TplBox, cardinality: one, kind: Parent, optional: false}
`

// A node made from an object template takes the template's values for the fields it does not
// give, and gets one component per component template; what it gives wins.
func TestObjectTemplate(t *testing.T) {
	f := newNodeFixture(t)
	raw, _ := json.Marshal(templateSchema)
	f.run(t, commands.TypeLoadSchema, commands.LoadSchema{Schemas: []json.RawMessage{raw}})
	tpl := f.create(t, "TemplateTplBox", map[string]any{"template_name": "big", "role": "edge", "color": "red"})
	for _, p := range []string{"p1", "p2"} {
		f.create(t, "TemplateTplPort", map[string]any{"template_name": "big-" + p, "name": p, "speed": 100, "box": tpl})
	}
	f.create(t, "TplBox", map[string]any{"name": "b1", "color": "blue", "object_template": tpl})
	var ports []string
	v := f.view(t, branch.Default)
	for _, n := range v.Dump() {
		switch n.Kind {
		case "TplBox":
			if n.Attributes["role"].Value != "edge" || n.Attributes["color"].Value != "blue" {
				t.Errorf("box made from the template: %+v", n.Attributes)
			}
		case "TplPort":
			ports = append(ports, strings.Join(n.HFID, "/")+"@"+jsonOf(n.Attributes["speed"].Value))
		}
	}
	sort.Strings(ports)
	if strings.Join(ports, " ") != "b1/p1@100 b1/p2@100" {
		t.Errorf("ports made from the template: %v", ports)
	}
}

func jsonOf(v any) string {
	raw, _ := json.Marshal(v)
	return string(raw)
}
