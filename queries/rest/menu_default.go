package rest

import "github.com/infrahub-go/infrahub/schema"

// menuDef is one entry of the default menu.
type menuDef struct {
	name, label string
	kind, path  string
	icon        string // an icon of its own, else the icon of iconOf's schema
	iconOf      string
	internal    bool
	weight      int
	permissions []string
	children    []menuDef
}

// defaultMenu is the menu every Infrahub starts with (its CoreMenuItem nodes of namespace
// Builtin, written at initialisation from backend/infrahub/menu/menu.py): the "Other" and
// "IPAM" entries of the object section and the internal section's pages. Stored menu items of
// the same namespace and name take their place.
var defaultMenu = []menuDef{
	{name: "Other", label: "Other", icon: "mdi:cube-outline", weight: 10000, children: []menuDef{
		{name: "Tag", label: "Tags", kind: "BuiltinTag", iconOf: "BuiltinTag", weight: 10000},
	}},
	{name: "IPAM", label: "IPAM", icon: "mdi:ip-network", weight: 9500, children: []menuDef{
		{name: "IPPrefix", label: "IP Prefixes", kind: "BuiltinIPPrefix", path: "/ipam/prefixes", iconOf: "BuiltinIPPrefix", internal: true, weight: 1000},
		{name: "IPAddress", label: "IP Addresses", kind: "BuiltinIPPrefix", path: "/ipam/addresses?ipam-tab=ip-details", iconOf: "BuiltinIPAddress", internal: true, weight: 2000},
		{name: "Namespaces", label: "Namespaces", kind: "BuiltinIPNamespace", iconOf: "BuiltinIPNamespace", internal: true, weight: 3000},
	}},
	{name: "ProposedChanges", label: "Proposed Changes", path: "/proposed-changes", iconOf: "CoreProposedChange", internal: true, weight: 1000},
	{name: "Branches", label: "Branches", path: "/branches", icon: "mdi:layers-triple", internal: true, weight: 1500},
	{name: "ObjectManagement", label: "Object Management", icon: "mdi:cube-outline", internal: true, weight: 2000, children: []menuDef{
		{name: "Groups", label: "Groups", kind: "CoreGroup", iconOf: "CoreGroup", internal: true, weight: 1000},
		{name: "Profiles", label: "Profiles", kind: "CoreProfile", iconOf: "CoreProfile", internal: true, weight: 1500},
		{name: "Templates", label: "Templates", kind: "CoreObjectTemplate", iconOf: "CoreObjectTemplate", internal: true, weight: 2000},
		{name: "ResourceManager", label: "Resource Managers", path: "/resource-manager", iconOf: "CoreResourcePool", internal: true, weight: 2500},
		{name: "Artifact", label: "Artifacts", kind: "CoreArtifact", iconOf: "CoreArtifact", internal: true, weight: 3000},
		{name: "Schema", label: "Schemas", path: "/schema", icon: "mdi:file-code", internal: true, weight: 2000},
		{name: "GraphqlQuery", label: "GraphQL Queries", kind: "CoreGraphQLQuery", iconOf: "CoreGraphQLQuery", internal: true, weight: 3500},
	}},
	{name: "Actions", label: "Actions", icon: "mdi:rocket-launch", internal: true, weight: 2500, children: []menuDef{
		{name: "CheckDefinition", label: "Check Definition", kind: "CoreCheckDefinition", iconOf: "CoreCheckDefinition", internal: true, weight: 3000},
		{name: "ArtifactDefinition", label: "Artifact Definitions", kind: "CoreArtifactDefinition", iconOf: "CoreArtifactDefinition", internal: true, weight: 1000},
		{name: "Transformation", label: "Transformations", kind: "CoreTransformation", iconOf: "CoreTransformation", internal: true, weight: 3000},
		{name: "GeneratorInstance", label: "Generators", kind: "CoreGeneratorInstance", iconOf: "CoreGeneratorInstance", internal: true, weight: 1000},
		{name: "GeneratorDefinition", label: "Generator Definitions", kind: "CoreGeneratorDefinition", iconOf: "CoreGeneratorDefinition", internal: true, weight: 2000},
	}},
	{name: "Integration", label: "Integrations", icon: "mdi:connection", internal: true, weight: 3000, children: []menuDef{
		{name: "Webhooks", label: "Webhooks", kind: "CoreWebhook", iconOf: "CoreWebhook", internal: true, weight: 3000},
		{name: "Git Repository", label: "Git Repositories", kind: "CoreGenericRepository", iconOf: "CoreGenericRepository", internal: true, weight: 2000},
		{name: "Credentials", label: "Credentials", kind: "CoreCredential", iconOf: "CoreCredential", internal: true, weight: 2000},
	}},
	{name: "Activity", label: "Activity", icon: "mdi:chart-bar-stacked", internal: true, weight: 4000, children: []menuDef{
		{name: "Tasks", label: "Tasks", path: "/tasks", icon: "mdi:shield-check", internal: true, weight: 1000},
		{name: "Activities", label: "Activities", path: "/activities", icon: "mdi:timeline-text", internal: true, weight: 2000},
	}},
	{name: "Admin", label: "Admin", icon: "mdi:settings-outline", internal: true, weight: 10000,
		permissions: []string{"global:super_admin:allow_all"}, children: []menuDef{
			{name: "RoleManagement", label: "Users & Permissions", path: "/role-management", iconOf: "CoreBasePermission", internal: true, weight: 1000},
			{name: "Menu", label: "Menu", kind: "CoreMenuItem", icon: "mdi:menu", internal: true, weight: 2500},
		}},
}

// menuDefaultParent is where kinds whose menu_placement names no menu entry go (Infrahub's
// BuiltinOther).
const menuDefaultParent = "BuiltinOther"

// defaultItems flattens defs into protected Builtin items, each naming its parent, icons taken
// from set.
func defaultItems(set *schema.Set, defs []menuDef, parent string) []*menuItem {
	var out []*menuItem
	for _, d := range defs {
		it := newMenuItem("Builtin", d.name)
		it.Label, it.Kind, it.Path, it.Icon, it.Protected, it.OrderWeight = d.label, d.kind, d.path, d.icon, true, d.weight
		if it.Path == "" && it.Kind != "" {
			it.Path = "/objects/" + it.Kind
		}
		if it.Icon == "" && d.iconOf != "" {
			if m, ok := set.Model(d.iconOf); ok && m.Icon != nil {
				it.Icon = *m.Icon
			}
		}
		if d.internal {
			it.Section = sectionInternal
		}
		it.Permissions = append(it.Permissions, d.permissions...)
		it.parent = parent
		out = append(out, it)
		out = append(out, defaultItems(set, d.children, it.Identifier)...)
	}
	return out
}
