// Package queries will answer reads: GraphQL generated per branch from the branch's schema,
// executed against the graph projection's read port, and the REST read endpoints
// (ARCHITECTURE §7). Mutations hand their input to package commands.
package queries
