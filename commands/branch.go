package commands

import (
	"context"
	"fmt"

	"github.com/infrahub-go/infrahub/branch"
	"github.com/infrahub-go/infrahub/commands/payload"
	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/limits"
)

// Branch lifecycle commands.
const (
	TypeCreateBranch = "branch.create"
	TypeDeleteBranch = "branch.delete"
)

// CreateBranch is the payload of TypeCreateBranch (Infrahub's BranchCreate data).
type CreateBranch struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	SyncWithGit bool   `json:"sync_with_git,omitempty"`
}

// DeleteBranch is the payload of TypeDeleteBranch.
type DeleteBranch struct {
	Name string `json:"name"`
}

// createBranch records a new branch, based on the log head at the moment it is decided: it sees
// everything the default branch had then.
func (s *Service) createBranch(ctx context.Context, cmd Command) (Result, error) {
	var in CreateBranch
	if err := payload.Decode(cmd.Payload, &in, "payload"); err != nil {
		return Result{}, err
	}
	if err := branch.ValidateName(in.Name); err != nil {
		return Result{}, fmt.Errorf("field \"name\": %w", err)
	}
	if n := len(in.Description); n > s.lim.DescriptionBytes {
		return Result{}, fmt.Errorf("field \"description\": %w", limits.Exceeded("description in bytes", int64(n),
			int64(s.lim.DescriptionBytes), limits.Setting("DescriptionBytes")))
	}
	return s.lifecycle(ctx, cmd, func(state *branch.State) (events.Envelope, error) {
		if _, exists := state.Branch(in.Name); exists {
			return events.Envelope{}, fmt.Errorf("%w: branch %q already exists", ErrConflict, in.Name)
		}
		head, err := s.w.log.Head(ctx)
		if err != nil {
			return events.Envelope{}, err
		}
		return s.w.cat.New(branch.TypeCreated, branch.Created{Name: in.Name, Description: in.Description,
			SyncWithGit: in.SyncWithGit, BranchedFrom: head}, metaOf(cmd))
	})
}

// deleteBranch records the deletion of a branch other than the default one.
func (s *Service) deleteBranch(ctx context.Context, cmd Command) (Result, error) {
	var in DeleteBranch
	if err := payload.Decode(cmd.Payload, &in, "payload"); err != nil {
		return Result{}, err
	}
	return s.lifecycle(ctx, cmd, func(state *branch.State) (events.Envelope, error) {
		info, exists := state.Branch(in.Name)
		switch {
		case !exists:
			return events.Envelope{}, fmt.Errorf("%w: %q", branch.ErrNotFound, in.Name)
		case info.IsDefault:
			return events.Envelope{}, fmt.Errorf("%w: field \"name\": the default branch %q cannot be deleted", ErrInvalid, in.Name)
		}
		return s.w.cat.New(branch.TypeDeleted, branch.Deleted{Name: in.Name}, metaOf(cmd))
	})
}

// lifecycle appends the event decide builds to the branch lifecycle stream, at the version the
// branch registry reflects.
func (s *Service) lifecycle(ctx context.Context, cmd Command, decide func(*branch.State) (events.Envelope, error)) (Result, error) {
	return s.w.write(ctx, cmd, func() (decision, error) {
		state := s.w.state.Branches()
		version := state.LifecycleVersion()
		ev, err := decide(state)
		if err != nil {
			return decision{}, err
		}
		return decision{stream: branch.LifecycleStream, version: version, events: []events.Envelope{ev}}, nil
	})
}
