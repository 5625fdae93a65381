// Package queries answers reads: GraphQL generated per branch from the branch's schema
// (queries/graphql) and the REST endpoints (queries/rest), both over the graph projection's read
// port (projections/graph), never over a concrete store (ARCHITECTURE §7). Mutations hand their
// input to package commands.
package queries
