package commands

import (
	"fmt"
)

// Workflows of Git repositories and artifacts, by Infrahub's names where it has them
// (backend/infrahub/workflows/catalogue.py); WorkflowGitImport is ours (Infrahub imports inside
// its sync and add flows).
const (
	WorkflowGitSync              = "git_repositories_sync"
	WorkflowGitAddReadWrite      = "git-repository-add-read-write"
	WorkflowGitAddReadOnly       = "git-repository-add-read-only"
	WorkflowGitImport            = "git-repository-import"
	WorkflowArtifactsGenerateAll = "artifact-definition-generate"
	WorkflowArtifactDefinition   = "request_artifact_definitions_generate"
	WorkflowArtifactGenerate     = "artifact-generate"
)

// GitSync is the parameters of WorkflowGitSync: every repository (no id), or one.
type GitSync struct {
	RepositoryID string `json:"repository_id,omitempty"`
}

// GitRepository is the parameters of WorkflowGitAddReadWrite and WorkflowGitAddReadOnly.
type GitRepository struct {
	RepositoryID string `json:"repository_id"`
}

// GitImport is the parameters of WorkflowGitImport: import the .infrahub.yml of one commit of a
// repository on one branch.
type GitImport struct {
	RepositoryID string `json:"repository_id"`
	Branch       string `json:"branch"`
	Commit       string `json:"commit"`
}

// ArtifactsGenerate is the parameters of WorkflowArtifactsGenerateAll (every definition of a
// branch), WorkflowArtifactDefinition (one definition: DefinitionID; Nodes limits it to those
// targets) and WorkflowArtifactGenerate (one definition's artifacts of the targets Nodes). Force
// renders even when the query's answer did not change (a new template); an unchanged content is
// still never written.
type ArtifactsGenerate struct {
	Branch       string   `json:"branch"`
	DefinitionID string   `json:"definition_id,omitempty"`
	Nodes        []string `json:"nodes,omitempty"`
	Force        bool     `json:"force,omitempty"`
}

// maxArtifactNodes bounds the targets one artifact task names.
const maxArtifactNodes = 10_000

// gitWorkflows are the workflows of repositories and artifacts; their code runs in the workers
// (workers/gitsync, workers/artifacts).
func gitWorkflows(def string) []Workflow {
	repo := func(p GitRepository) (string, error) {
		if p.RepositoryID == "" {
			return "", fmt.Errorf("%w: field \"repository_id\" is missing", ErrInvalid)
		}
		return def, nil
	}
	artifacts := func(needDefinition, needNodes bool) func(p ArtifactsGenerate) (string, error) {
		return func(p ArtifactsGenerate) (string, error) {
			switch {
			case needDefinition && p.DefinitionID == "":
				return "", fmt.Errorf("%w: field \"definition_id\" is missing", ErrInvalid)
			case needNodes && len(p.Nodes) == 0:
				return "", fmt.Errorf("%w: field \"nodes\" is empty", ErrInvalid)
			case len(p.Nodes) > maxArtifactNodes:
				return "", fmt.Errorf("%w: field \"nodes\" holds %d ids, at most %d", ErrInvalid, len(p.Nodes), maxArtifactNodes)
			}
			return orDefault(p.Branch, def), nil
		}
	}
	return []Workflow{
		{Name: WorkflowGitSync, Title: titleOf(func(GitSync) string { return "Sync remote repositories" }),
			Parameters: paramsOf(func(GitSync) (string, error) { return def, nil })},
		{Name: WorkflowGitAddReadWrite, Title: titleOf(func(GitRepository) string { return "Add repository" }),
			Parameters: paramsOf(repo)},
		{Name: WorkflowGitAddReadOnly, Title: titleOf(func(GitRepository) string { return "Add read-only repository" }),
			Parameters: paramsOf(repo)},
		{Name: WorkflowGitImport,
			Title: titleOf(func(p GitImport) string {
				return fmt.Sprintf("Import commit %s on branch %s", short(p.Commit), p.Branch)
			}),
			Parameters: paramsOf(func(p GitImport) (string, error) {
				switch {
				case p.RepositoryID == "":
					return "", fmt.Errorf("%w: field \"repository_id\" is missing", ErrInvalid)
				case p.Commit == "":
					return "", fmt.Errorf("%w: field \"commit\" is missing", ErrInvalid)
				}
				return orDefault(p.Branch, def), nil
			})},
		{Name: WorkflowArtifactsGenerateAll, Title: titleOf(func(ArtifactsGenerate) string { return "Generate all artifacts" }),
			Parameters: paramsOf(artifacts(false, false))},
		{Name: WorkflowArtifactDefinition, Title: titleOf(func(ArtifactsGenerate) string { return "Generate the artifacts of a definition" }),
			Parameters: paramsOf(artifacts(true, false))},
		{Name: WorkflowArtifactGenerate, Title: titleOf(func(ArtifactsGenerate) string { return "Generate artifacts" }),
			Parameters: paramsOf(artifacts(true, true))},
	}
}

// short is a commit's first 8 characters.
func short(commit string) string {
	if len(commit) > 8 {
		return commit[:8]
	}
	return commit
}
