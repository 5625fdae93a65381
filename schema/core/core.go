// Package core holds the built-in Infrahub schema: the Core, Builtin,
// Lineage and Internal kinds (plus IpamNamespace) that user schemas inherit
// from and point at. The kinds are written as ordinary Infrahub schema files
// (version "1.0") so that the same parser loads them as user schemas.
//
// All files must be loaded together in one load: relationships point across
// files (for example CoreGroup.members -> CoreNode, CoreGraphQLQueryGroup.query
// -> CoreGraphQLQuery). The order returned by Files only guarantees that
// every inherit_from names a generic defined in the same or an earlier file.
//
// Relationships that Infrahub adds by itself are not written here: the Group
// relationships member_of_groups/subscriber_of_groups on every node, the
// Profile relationship profiles on kinds that generate profiles, and the
// Hierarchy relationships parent/children of hierarchical generics
// (CoreGroup, CoreMenu, BuiltinIPPrefix; on BuiltinIPPrefix they are
// read-only because the prefix tree is computed).
package core

import (
	"embed"
	"fmt"
)

//go:embed *.yml
var files embed.FS

// File is one built-in schema file.
type File struct {
	Name string
	Data []byte
}

// order lists the files so that generics come before the kinds that inherit
// from them.
var order = []string{
	"lineage_and_node.yml",
	"groups.yml",
	"accounts.yml",
	"repositories_and_automation.yml",
	"proposed_change.yml",
	"ipam_and_pools.yml",
	"menus_webhooks_misc.yml",
	"triggers_actions.yml",
}

// Files returns the built-in schema files in load order. Each call returns
// fresh copies, so callers may modify the data.
func Files() []File {
	out := make([]File, 0, len(order))
	for _, name := range order {
		data, err := files.ReadFile(name)
		if err != nil {
			// The names are fixed and embedded at build time; a missing
			// file is a programming error caught by the tests.
			panic(fmt.Sprintf("schema/core: %s: %v", name, err))
		}
		out = append(out, File{Name: name, Data: data})
	}
	return out
}
