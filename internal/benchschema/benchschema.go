// Package benchschema holds the schemas of the bench harness's scenarios (bench/), which the Go
// benchmarks and tests of other packages that reproduce a scenario load too.
package benchschema

// Load is the kind of scenario 4 (bulk load) and 9 (diff and merge): a device with 5 attributes
// and 2 relationships (a site, tags).
const Load = `
version: "1.0"
nodes:
  - name: Site
    namespace: Bench
    human_friendly_id: [name__value]
    attributes:
      - {name: name, kind: Text, unique: true}
  - name: Tag
    namespace: Bench
    human_friendly_id: [name__value]
    attributes:
      - {name: name, kind: Text, unique: true}
  - name: Device
    namespace: Bench
    human_friendly_id: [name__value]
    display_label: name__value
    attributes:
      - {name: name, kind: Text, unique: true}
      - {name: description, kind: Text, optional: true}
      - {name: serial, kind: Text, optional: true}
      - {name: asn, kind: Number, optional: true}
      - {name: enabled, kind: Boolean, default_value: true}
    relationships:
      - {name: site, peer: BenchSite, cardinality: one, optional: true}
      - {name: tags, peer: BenchTag, cardinality: many, optional: true}
`

// HTTP is the schema of scenarios 7, 8, 13 and 14 (the infrahub serve scenarios): devices with 5
// attributes, a site (cardinality one) and interfaces (components), each interface with 4
// attributes and its device (parent).
const HTTP = `
version: "1.0"
nodes:
  - name: Site
    namespace: Bench
    human_friendly_id: [name__value]
    display_label: name__value
    attributes:
      - {name: name, kind: Text, unique: true}
  - name: Device
    namespace: Bench
    human_friendly_id: [name__value]
    display_label: name__value
    order_by: [name__value]
    attributes:
      - {name: name, kind: Text, unique: true}
      - {name: description, kind: Text, optional: true}
      - {name: serial, kind: Text, optional: true}
      - {name: asn, kind: Number, optional: true}
      - {name: enabled, kind: Boolean, default_value: true}
    relationships:
      - {name: site, peer: BenchSite, cardinality: one, optional: true}
      - {name: interfaces, peer: BenchInterface, cardinality: many, kind: Component, optional: true}
  - name: Interface
    namespace: Bench
    human_friendly_id: [device__name__value, name__value]
    display_label: name__value
    order_by: [name__value]
    attributes:
      - {name: name, kind: Text}
      - {name: description, kind: Text, optional: true}
      - {name: mtu, kind: Number, default_value: 1500}
      - {name: enabled, kind: Boolean, default_value: true}
    relationships:
      - {name: device, peer: BenchDevice, cardinality: one, kind: Parent, optional: false}
`
