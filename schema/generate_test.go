package schema_test

import (
	"slices"
	"testing"

	"github.com/infrahub-go/infrahub/schema"
)

func attrNames(m *schema.Model) []string {
	var out []string
	for _, a := range m.Attributes {
		out = append(out, a.Name)
	}
	return out
}

func TestProfilesAndTemplatesOfServiceCatalog(t *testing.T) {
	s := serviceCatalog(t)

	p, ok := s.Node("ProfileDcimDevice")
	if !ok {
		t.Fatal("ProfileDcimDevice not generated")
	}
	if p.Namespace != "Profile" || p.Name != "DcimDevice" {
		t.Errorf("profile namespace/name = %s/%s", p.Namespace, p.Name)
	}
	names := attrNames(&p.Model)
	for _, want := range []string{"profile_name", "profile_priority", "role", "rack_face", "serial", "status"} {
		if !slices.Contains(names, want) {
			t.Errorf("ProfileDcimDevice lacks %s: %v", want, names)
		}
	}
	// name is unique: it never belongs to a profile (status, mandatory, does since Infrahub 1.7)
	for _, not := range []string{"name"} {
		if slices.Contains(names, not) {
			t.Errorf("ProfileDcimDevice holds %s: %v", not, names)
		}
	}
	if a := p.Attribute("profile_priority"); a == nil || a.DefaultValue != 1000 || !a.Optional {
		t.Errorf("profile_priority = %+v", a)
	}
	if r := p.Relationship("related_nodes"); r == nil || r.Peer != "DcimDevice" || r.Kind != schema.RelProfile {
		t.Errorf("related_nodes = %+v", r)
	}
	if !slices.Equal(p.InheritFrom, []string{"LineageSource", "CoreProfile", "CoreNode"}) {
		t.Errorf("profile inherit_from = %v", p.InheritFrom)
	}

	// DcimDevice sets generate_template: its template, and the templates of its Component peers
	tpl, ok := s.Node("TemplateDcimDevice")
	if !ok {
		t.Fatal("TemplateDcimDevice not generated")
	}
	if a := tpl.Attribute("template_name"); a == nil || !a.Unique {
		t.Errorf("template_name = %+v", a)
	}
	if a := tpl.Attribute("name"); a == nil || !a.Optional {
		t.Errorf("template attribute name should be optional: %+v", a)
	}
	r := tpl.Relationship("interfaces")
	if r == nil || r.Peer != "TemplateDcimInterface" || r.Kind != schema.RelComponent {
		t.Fatalf("TemplateDcimDevice.interfaces = %+v", r)
	}
	for _, k := range []string{"TemplateDcimInterfaceL2", "TemplateDcimInterfaceL3"} {
		if n, ok := s.Node(k); !ok {
			t.Errorf("%s not generated for the Component peer", k)
		} else if !slices.Contains(n.InheritFrom, "TemplateDcimInterface") {
			t.Errorf("%s does not inherit the template of its generic: %v", k, n.InheritFrom)
		}
	}
	// The template of a generic is a generic, used by the templates of its nodes.
	if g, ok := s.Generic("TemplateDcimInterface"); !ok || !slices.Contains(g.UsedBy, "TemplateDcimInterfaceL3") {
		t.Errorf("TemplateDcimInterface is not a generic used by TemplateDcimInterfaceL3: %+v", g)
	}
	d, _ := s.Node("DcimDevice")
	if r := d.Relationship("object_template"); r == nil || r.Peer != "TemplateDcimDevice" || r.Cardinality != "one" {
		t.Errorf("DcimDevice.object_template = %+v", r)
	}
	if _, ok := s.Node("TemplateLocationSite"); ok {
		t.Error("TemplateLocationSite generated without generate_template")
	}
}

func TestRelationshipIdentifiersOfServiceCatalog(t *testing.T) {
	s := serviceCatalog(t)
	tests := []struct {
		kind, rel, want string
	}{
		// derived on the generic that declares it, inherited unchanged
		{"DcimDevice", "interfaces", "dcimgenericdevice__dciminterface"},
		{"DcimInterfaceL3", "device", "dcimgenericdevice__dciminterface"},
		{"DcimDevice", "platform", "dcimgenericdevice__dcimplatform"},
		{"DcimDevice", "device_type", "dcimdevicetype__dcimphysicaldevice"},
		// explicit in the file
		{"DcimDevice", "location", "location__devices"},
		{"LocationSite", "devices", "location__devices"},
		{"IpamVLAN", "prefixes", "vlan__prefixes"},
		// added by Infrahub to every node
		{"DcimDevice", "profiles", "node__profile"},
		{"DcimDevice", "member_of_groups", "group_member"},
		// hierarchy
		{"LocationSite", "parent", "parent__child"},
	}
	for _, tt := range tests {
		m, ok := s.Model(tt.kind)
		if !ok {
			t.Fatalf("%s missing", tt.kind)
		}
		r := m.Relationship(tt.rel)
		if r == nil {
			t.Errorf("%s.%s missing", tt.kind, tt.rel)
			continue
		}
		if r.Identifier != tt.want {
			t.Errorf("%s.%s identifier = %s, want %s", tt.kind, tt.rel, r.Identifier, tt.want)
		}
	}
	site, _ := s.Node("LocationSite")
	if p := site.Relationship("parent"); p.Peer != "LocationMetro" || p.Cardinality != "one" || p.Kind != schema.RelHierarchy {
		t.Errorf("LocationSite.parent = %+v", p)
	}
	if c := site.Relationship("children"); c.Peer != "LocationRack" || c.Cardinality != "many" {
		t.Errorf("LocationSite.children = %+v", c)
	}
	if site.Hierarchy == nil || *site.Hierarchy != "LocationGeneric" {
		t.Errorf("LocationSite.hierarchy = %v", site.Hierarchy)
	}
	if schema.Identifier("LocationSite", "DcimDevice") != "dcimdevice__locationsite" {
		t.Error("Identifier does not sort")
	}
}
