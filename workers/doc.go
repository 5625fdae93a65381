// Package workers is the place of background tasks (ARCHITECTURE §8): Git repository sync,
// artifact rendering, checks, generators and webhooks, each writing through package commands and
// reading through the projection ports. None exists yet; the worker role (`infrahub worker`)
// runs the forwarder and the projections.
package workers
