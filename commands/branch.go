package commands

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/infrahub-go/infrahub/branch"
	"github.com/infrahub-go/infrahub/events"
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

// BranchState is the branch registry the lifecycle commands decide against.
type BranchState interface {
	Branch(name string) (branch.Info, bool)
	LifecycleVersion() int64
}

// Branches decides branch creation and deletion. A new branch is based on the log head at the
// moment it is decided: it sees everything the default branch had then.
type Branches struct {
	Log   events.Appender
	Head  func(ctx context.Context) (int64, error)
	Cat   *events.Catalogue
	State BranchState
	Sync  Syncer
}

func decodeStrict(raw json.RawMessage, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: payload: %v", ErrInvalid, err)
	}
	return nil
}

// Create is the Handler of TypeCreateBranch.
func (b *Branches) Create(ctx context.Context, cmd Command) (Result, error) {
	var in CreateBranch
	if err := decodeStrict(cmd.Payload, &in); err != nil {
		return Result{}, err
	}
	if err := branch.ValidateName(in.Name); err != nil {
		return Result{}, fmt.Errorf("%w: field \"name\": %v", ErrInvalid, err)
	}
	return b.decide(ctx, cmd, func() (events.Envelope, error) {
		if _, exists := b.State.Branch(in.Name); exists {
			return events.Envelope{}, fmt.Errorf("%w: branch %q already exists", ErrConflict, in.Name)
		}
		head, err := b.Head(ctx)
		if err != nil {
			return events.Envelope{}, err
		}
		return b.Cat.New(branch.TypeCreated, branch.Created{Name: in.Name, Description: in.Description,
			SyncWithGit: in.SyncWithGit, BranchedFrom: head}, events.Metadata{CommandID: cmd.ID, Actor: cmd.Actor})
	})
}

// Delete is the Handler of TypeDeleteBranch.
func (b *Branches) Delete(ctx context.Context, cmd Command) (Result, error) {
	var in DeleteBranch
	if err := decodeStrict(cmd.Payload, &in); err != nil {
		return Result{}, err
	}
	return b.decide(ctx, cmd, func() (events.Envelope, error) {
		info, exists := b.State.Branch(in.Name)
		switch {
		case !exists:
			return events.Envelope{}, fmt.Errorf("%w: branch %q", ErrNotFound, in.Name)
		case info.IsDefault:
			return events.Envelope{}, fmt.Errorf("%w: field \"name\": the default branch %q cannot be deleted", ErrInvalid, in.Name)
		}
		return b.Cat.New(branch.TypeDeleted, branch.Deleted{Name: in.Name}, events.Metadata{CommandID: cmd.ID, Actor: cmd.Actor})
	})
}

// decide appends the event that decideEvent builds at the lifecycle stream's version, and
// decides again after syncing when another writer got there first.
func (b *Branches) decide(ctx context.Context, cmd Command, decideEvent func() (events.Envelope, error)) (Result, error) {
	for attempt := 0; ; attempt++ {
		version := b.State.LifecycleVersion()
		ev, err := decideEvent()
		if err != nil {
			return Result{}, err
		}
		res, err := b.Log.Append(ctx, branch.LifecycleStream, version, ev)
		if errors.Is(err, events.ErrVersionConflict) && attempt < 5 {
			if err := b.Sync(ctx); err != nil {
				return Result{}, fmt.Errorf("%s: %w", cmd.Type, err)
			}
			continue
		}
		if err != nil {
			return Result{}, fmt.Errorf("%s: %w", cmd.Type, err)
		}
		return resultOf(branch.LifecycleStream, cmd.ID, res), nil
	}
}
