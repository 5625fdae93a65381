// Package workers will run background tasks: Git repository sync (go-git), Jinja2 rendering of
// artifacts, checks, generators and webhooks, with Redis locks (ARCHITECTURE §8). Workers write
// through package commands and read through the query ports.
package workers
