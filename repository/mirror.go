package repository

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-git/go-billy/v5/osfs"
	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/storage/filesystem"

	"github.com/infrahub-go/infrahub/fault"
)

// Errors of remote operations. Status maps them to a repository's operational_status.
var (
	// ErrCredential: the remote asks for a credential, or refuses the one given.
	ErrCredential = fault.New(fault.ErrForbidden, "repository credential required or refused")
	// ErrConnection: the remote cannot be reached (refused, unknown host, timeout).
	ErrConnection = fault.New(fault.ErrUnavailable, "repository unreachable")
	// ErrRefNotFound: a branch, tag or commit the remote does not have.
	ErrRefNotFound = fault.New(fault.ErrNotFound, "ref not found")
)

// Status is the operational_status of a repository after an operation that answered err:
// "online", "error-cred", "error-connection" or "error".
func Status(err error) string {
	switch {
	case err == nil:
		return "online"
	case errors.Is(err, ErrCredential):
		return "error-cred"
	case errors.Is(err, ErrConnection):
		return "error-connection"
	}
	return "error"
}

// MaxFileBytesSetting is the variable that sets CacheConfig.MaxFileBytes, for messages.
const MaxFileBytesSetting = "INFRAHUB_GIT_MAX_FILE_BYTES"

// CacheConfig configures a Cache.
type CacheConfig struct {
	Dir          string        // required: mirrors are kept in Dir/<remote ID>.git
	Timeout      time.Duration // of one network operation (default 2 min)
	MaxFileBytes int64         // a file larger than this read through Files is refused (default 10 MiB)
	// AuthorName and AuthorEmail sign the commits made here (defaults "Infrahub",
	// "infrahub@opsmill.com").
	AuthorName, AuthorEmail string
	// InsecureIgnoreHostKey accepts any SSH host key (else ~/.ssh/known_hosts decides).
	InsecureIgnoreHostKey bool
	// CachedCommits is how many commits' file listings are kept in memory (default 64);
	// CachedBytes bounds the file contents kept in memory over all mirrors (default 64 MiB).
	CachedCommits int
	CachedBytes   int64
	Logger        *slog.Logger
}

// Cache keeps bare mirrors of remote repositories and reads their files. Safe for concurrent use.
type Cache struct {
	cfg   CacheConfig
	log   *slog.Logger
	mu    sync.Mutex
	repos map[string]*mirror
	trees *treeCache
	blobs *blobCache
}

// mirror is one remote's bare clone. mu serialises what writes (fetch, push, refs) against
// reads; objMu serialises go-git object reads, which are not safe concurrently.
type mirror struct {
	id    string
	dir   string
	mu    sync.RWMutex
	objMu sync.Mutex
	// repo is nil until the mirror is opened (and again after Remove); openMu serialises
	// opening, which readers may do under a read lock of mu.
	repo   atomic.Pointer[git.Repository]
	openMu sync.Mutex
}

// NewCache validates cfg, applies defaults and creates Dir.
func NewCache(cfg CacheConfig) (*Cache, error) {
	if cfg.Dir == "" {
		return nil, fmt.Errorf("repository cache: Dir is required: %w", fault.ErrInvalid)
	}
	if cfg.Timeout < 0 || cfg.MaxFileBytes < 0 || cfg.CachedCommits < 0 || cfg.CachedBytes < 0 {
		return nil, fmt.Errorf("repository cache: Timeout, MaxFileBytes, CachedCommits and CachedBytes may not be negative: %w", fault.ErrInvalid)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 2 * time.Minute
	}
	if cfg.MaxFileBytes == 0 {
		cfg.MaxFileBytes = 10 << 20
	}
	if cfg.AuthorName == "" {
		cfg.AuthorName = "Infrahub"
	}
	if cfg.AuthorEmail == "" {
		cfg.AuthorEmail = "infrahub@opsmill.com"
	}
	if cfg.CachedCommits == 0 {
		cfg.CachedCommits = 64
	}
	if cfg.CachedBytes == 0 {
		cfg.CachedBytes = 64 << 20
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(cfg.Dir, 0o750); err != nil {
		return nil, fmt.Errorf("repository cache: %w", err)
	}
	return &Cache{
		cfg: cfg, log: cfg.Logger, repos: map[string]*mirror{},
		trees: newTreeCache(cfg.CachedCommits), blobs: newBlobCache(cfg.CachedBytes),
	}, nil
}

// mirror answers the mirror of r (not yet opened).
func (c *Cache) mirror(r Remote) (*mirror, error) {
	if r.ID == "" || r.ID == "." || r.ID == ".." || strings.ContainsAny(r.ID, "/\\\x00") {
		return nil, fmt.Errorf("repository %q: the id cannot name a mirror folder: %w", r.ID, fault.ErrInvalid)
	}
	if r.Location == "" {
		return nil, fmt.Errorf("repository %s: location is required: %w", r.ID, fault.ErrInvalid)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	m := c.repos[r.ID]
	if m == nil {
		m = &mirror{id: r.ID, dir: filepath.Join(c.cfg.Dir, r.ID+".git")}
		c.repos[r.ID] = m
	}
	return m, nil
}

// open opens (or, when create, initialises) the bare repository; m.mu is held. A nil
// repository and nil error: there is no mirror yet.
func (m *mirror) open(create bool) (*git.Repository, error) {
	if repo := m.repo.Load(); repo != nil {
		return repo, nil
	}
	m.openMu.Lock()
	defer m.openMu.Unlock()
	if repo := m.repo.Load(); repo != nil {
		return repo, nil
	}
	st := filesystem.NewStorage(osfs.New(m.dir), cache.NewObjectLRUDefault())
	repo, err := git.Open(st, nil)
	if errors.Is(err, git.ErrRepositoryNotExists) {
		if !create {
			return nil, nil
		}
		repo, err = git.Init(st, nil)
	}
	if err != nil {
		return nil, fmt.Errorf("repository %s: mirror %s: %w", m.id, m.dir, err)
	}
	m.repo.Store(repo)
	return repo, nil
}

// Sync clones the remote when it has no mirror yet, fetches every branch and tag (pruning what
// the remote deleted), and answers the heads.
func (c *Cache) Sync(ctx context.Context, r Remote) (Heads, error) {
	m, err := c.mirror(r)
	if err != nil {
		return Heads{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return c.fetch(ctx, m, r)
}

// fetch brings the mirror up to the remote; m.mu is held for writing.
func (c *Cache) fetch(ctx context.Context, m *mirror, r Remote) (Heads, error) {
	repo, err := m.open(true)
	if err != nil {
		return Heads{}, err
	}
	start := time.Now()
	refs, err := c.list(ctx, repo, r)
	if err != nil {
		return Heads{}, err
	}
	heads := Heads{Branches: map[string]string{}}
	remote := map[plumbing.ReferenceName]bool{}
	var head *plumbing.Reference
	for _, ref := range refs {
		switch {
		case ref.Name() == plumbing.HEAD:
			head = ref
		case ref.Name().IsBranch():
			heads.Branches[ref.Name().Short()] = ref.Hash().String()
			remote[ref.Name()] = true
		case ref.Name().IsTag() && !strings.HasSuffix(ref.Name().String(), "^{}"):
			remote[ref.Name()] = true
		}
	}
	if len(refs) > 0 {
		ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
		err = git.NewRemote(repo.Storer, remoteConfig(r)).FetchContext(ctx, &git.FetchOptions{
			RefSpecs: []config.RefSpec{"+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"},
			Auth:     c.auth(r), Tags: git.NoTags, Force: true,
		})
		cancel()
		if err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate) {
			return Heads{}, c.remoteError(ctx, "fetch", r, err)
		}
	}
	// Prune the branches and tags the remote no longer has.
	iter, err := repo.Storer.IterReferences()
	if err != nil {
		return Heads{}, fmt.Errorf("repository %s: %w", r.ID, err)
	}
	var gone []plumbing.ReferenceName
	_ = iter.ForEach(func(ref *plumbing.Reference) error {
		if (ref.Name().IsBranch() || ref.Name().IsTag()) && !remote[ref.Name()] {
			gone = append(gone, ref.Name())
		}
		return nil
	})
	for _, name := range gone {
		if err := repo.Storer.RemoveReference(name); err != nil {
			return Heads{}, fmt.Errorf("repository %s: prune %s: %w", r.ID, name, err)
		}
	}
	heads.Default = defaultBranch(head, heads.Branches)
	if heads.Default != "" {
		_ = repo.Storer.SetReference(plumbing.NewSymbolicReference(plumbing.HEAD, plumbing.NewBranchReferenceName(heads.Default)))
	}
	c.log.Debug("repository fetched", "repository", r.ID, "location", r.String(), "branches", len(heads.Branches),
		"pruned", len(gone), "duration", time.Since(start))
	return heads, nil
}

// defaultBranch is the branch the remote's HEAD names; without a symbolic HEAD, a branch at
// HEAD's commit (main or master first).
func defaultBranch(head *plumbing.Reference, branches map[string]string) string {
	if head == nil {
		return ""
	}
	if head.Type() == plumbing.SymbolicReference {
		return head.Target().Short()
	}
	names := make([]string, 0, len(branches))
	for name, h := range branches {
		if h == head.Hash().String() {
			names = append(names, name)
		}
	}
	sort.Slice(names, func(i, j int) bool {
		ri, rj := names[i] == "main" || names[i] == "master", names[j] == "main" || names[j] == "master"
		if ri != rj {
			return ri
		}
		return names[i] < names[j]
	})
	if len(names) == 0 {
		return ""
	}
	return names[0]
}

// list answers the remote's refs (none for an empty remote).
func (c *Cache) list(ctx context.Context, repo *git.Repository, r Remote) ([]*plumbing.Reference, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	refs, err := git.NewRemote(repo.Storer, remoteConfig(r)).ListContext(ctx, &git.ListOptions{Auth: c.auth(r)})
	if errors.Is(err, transport.ErrEmptyRemoteRepository) {
		return nil, nil
	}
	if err != nil {
		return nil, c.remoteError(ctx, "ls-remote", r, err)
	}
	return refs, nil
}

// remoteConfig is the remote's configuration: in memory only, so that a location holding a
// password is never written to the mirror's config file.
func remoteConfig(r Remote) *config.RemoteConfig {
	return &config.RemoteConfig{Name: git.DefaultRemoteName, URLs: []string{r.Location}}
}

// Resolve answers the full commit hash of ref: a branch, a tag, or a full or abbreviated commit
// hash. A ref the mirror does not know fetches once.
func (c *Cache) Resolve(ctx context.Context, r Remote, ref string) (string, error) {
	m, err := c.mirror(r)
	if err != nil {
		return "", err
	}
	if ref == "" {
		return "", fmt.Errorf("repository %s: empty ref: %w", r, fault.ErrInvalid)
	}
	m.mu.RLock()
	h, ok := m.resolve(ref)
	m.mu.RUnlock()
	if ok {
		return h.String(), nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if h, ok := m.resolve(ref); ok { // fetched meanwhile
		return h.String(), nil
	}
	if _, err := c.fetch(ctx, m, r); err != nil {
		return "", err
	}
	if h, ok := m.resolve(ref); ok {
		return h.String(), nil
	}
	return "", fmt.Errorf("%w: %q in %s", ErrRefNotFound, ref, r)
}

// resolve finds ref in the mirror (a lock on m.mu is held): a full commit hash, a branch, a tag
// (peeled), then an abbreviated hash.
func (m *mirror) resolve(ref string) (plumbing.Hash, bool) {
	repo, err := m.open(false)
	if err != nil || repo == nil {
		return plumbing.ZeroHash, false
	}
	m.objMu.Lock()
	defer m.objMu.Unlock()
	if isHex(ref) && len(ref) == 40 {
		h := plumbing.NewHash(ref)
		if _, err := repo.CommitObject(h); err == nil {
			return h, true
		}
		return plumbing.ZeroHash, false
	}
	for _, name := range []plumbing.ReferenceName{plumbing.NewBranchReferenceName(ref), plumbing.NewTagReferenceName(ref)} {
		r, err := repo.Storer.Reference(name)
		if err != nil {
			continue
		}
		if h, ok := peel(repo, r.Hash()); ok {
			return h, true
		}
	}
	if isHex(ref) && len(ref) >= 4 {
		if h, err := repo.ResolveRevision(plumbing.Revision(ref)); err == nil {
			return peel(repo, *h)
		}
	}
	return plumbing.ZeroHash, false
}

// peel follows annotated tags to the commit they name.
func peel(repo *git.Repository, h plumbing.Hash) (plumbing.Hash, bool) {
	for range 10 {
		if _, err := repo.CommitObject(h); err == nil {
			return h, true
		}
		tag, err := repo.TagObject(h)
		if err != nil {
			return plumbing.ZeroHash, false
		}
		h = tag.Target
	}
	return plumbing.ZeroHash, false
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return s != ""
}

// Files answers the files of commit (a full hash; another ref is resolved first) as a read-only
// fs.FS (Open, ReadFile, ReadDir, Stat; '/'-separated paths), fetching when the mirror does not
// hold the commit. The listing is cached per commit and file contents per blob, so calling it
// again for the same commit, and reading the same file again, is cheap. A file larger than
// MaxFileBytes is refused with limits.Exceeded.
func (c *Cache) Files(ctx context.Context, r Remote, commit string) (fs.FS, error) {
	m, err := c.mirror(r)
	if err != nil {
		return nil, err
	}
	if !(isHex(commit) && len(commit) == 40) {
		if commit, err = c.Resolve(ctx, r, commit); err != nil {
			return nil, err
		}
	}
	key := r.ID + "\x00" + commit
	if f := c.trees.get(key); f != nil {
		return f, nil
	}
	m.mu.RLock()
	f, err := c.load(m, plumbing.NewHash(commit))
	m.mu.RUnlock()
	if errors.Is(err, plumbing.ErrObjectNotFound) {
		m.mu.Lock()
		if _, err = c.fetch(ctx, m, r); err == nil {
			f, err = c.load(m, plumbing.NewHash(commit))
		}
		m.mu.Unlock()
	}
	if errors.Is(err, plumbing.ErrObjectNotFound) {
		return nil, fmt.Errorf("%w: commit %s in %s", ErrRefNotFound, commit, r)
	}
	if err != nil {
		return nil, err
	}
	c.trees.put(key, f)
	return f, nil
}

// CreateBranch makes branch name on the remote at from (a commit, a branch or a tag of the
// mirror) and pushes it; nothing to do when the remote has it at that commit. A branch that
// exists at another commit is a conflict. Answers the branch's commit.
func (c *Cache) CreateBranch(ctx context.Context, r Remote, name, from string) (string, error) {
	ref := plumbing.NewBranchReferenceName(name)
	if err := ref.Validate(); err != nil || name == "" {
		return "", fmt.Errorf("repository %s: %q is not a valid branch name: %w", r, name, fault.ErrInvalid)
	}
	commit, err := c.Resolve(ctx, r, from)
	if err != nil {
		return "", err
	}
	m, _ := c.mirror(r)
	m.mu.Lock()
	defer m.mu.Unlock()
	repo, err := m.open(true)
	if err != nil {
		return "", err
	}
	refs, err := c.list(ctx, repo, r)
	if err != nil {
		return "", err
	}
	for _, x := range refs {
		if x.Name() == ref {
			if x.Hash().String() == commit {
				return commit, nil
			}
			return "", fmt.Errorf("repository %s: branch %q exists at %s, not at %s (%s): %w", r, name, x.Hash(), commit, from, fault.ErrConflict)
		}
	}
	if err := c.push(ctx, repo, r, ref, plumbing.NewHash(commit)); err != nil {
		return "", err
	}
	c.log.Info("repository branch created", "repository", r.ID, "location", r.String(), "branch", name, "commit", commit)
	return commit, nil
}

// push sets the mirror's branch ref to h and pushes it (never forced); on failure the mirror's
// ref is put back.
func (c *Cache) push(ctx context.Context, repo *git.Repository, r Remote, ref plumbing.ReferenceName, h plumbing.Hash) error {
	old, oldErr := repo.Storer.Reference(ref)
	if err := repo.Storer.SetReference(plumbing.NewHashReference(ref, h)); err != nil {
		return fmt.Errorf("repository %s: %w", r.ID, err)
	}
	pctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	err := git.NewRemote(repo.Storer, remoteConfig(r)).PushContext(pctx, &git.PushOptions{
		RefSpecs: []config.RefSpec{config.RefSpec(ref + ":" + ref)}, Auth: c.auth(r),
	})
	if err == nil || errors.Is(err, git.NoErrAlreadyUpToDate) {
		return nil
	}
	if oldErr == nil {
		_ = repo.Storer.SetReference(old)
	} else {
		_ = repo.Storer.RemoveReference(ref)
	}
	if errors.Is(err, git.ErrForceNeeded) || strings.Contains(err.Error(), "non-fast-forward") {
		return fmt.Errorf("repository %s: push %s: the remote's branch moved (not a fast-forward): %w", r, ref.Short(), fault.ErrConflict)
	}
	return c.remoteError(pctx, "push", r, err)
}

// Merge merges branch source into branch target on the remote (after a fetch): nothing when
// target already holds source; a fast-forward when target is behind source; otherwise a merge
// commit (parents target then source, by AuthorName/AuthorEmail) when the two branches changed
// different files since their merge base. A file both changed differently (Git's line-level
// merge is not attempted), or several merge bases, is an error wrapping fault.ErrConflict
// naming both branches and the files. Answers target's new commit.
func (c *Cache) Merge(ctx context.Context, r Remote, source, target string) (string, error) {
	m, err := c.mirror(r)
	if err != nil {
		return "", err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	heads, err := c.fetch(ctx, m, r)
	if err != nil {
		return "", err
	}
	s, t := heads.Branches[source], heads.Branches[target]
	for _, b := range [][2]string{{source, s}, {target, t}} {
		if b[1] == "" {
			return "", fmt.Errorf("%w: branch %q in %s", ErrRefNotFound, b[0], r)
		}
	}
	if s == t {
		return t, nil
	}
	repo := m.repo.Load()
	m.objMu.Lock()
	sc, err1 := repo.CommitObject(plumbing.NewHash(s))
	tc, err2 := repo.CommitObject(plumbing.NewHash(t))
	var behind, ahead bool
	if err := errors.Join(err1, err2); err != nil {
		m.objMu.Unlock()
		return "", fmt.Errorf("repository %s: %w", r, err)
	}
	behind, err1 = tc.IsAncestor(sc) // target is behind source: fast-forward
	ahead, err2 = sc.IsAncestor(tc)  // target already holds source
	m.objMu.Unlock()
	if err := errors.Join(err1, err2); err != nil {
		return "", fmt.Errorf("repository %s: %w", r, err)
	}
	if ahead {
		return t, nil
	}
	to := sc.Hash
	if !behind { // both have commits of their own: a merge commit when they changed different files
		m.objMu.Lock()
		h, conflicts, err := c.mergeCommit(repo, sc, tc, source, target)
		m.objMu.Unlock()
		if err != nil {
			return "", fmt.Errorf("repository %s: merge %q into %q: %w", r, source, target, err)
		}
		if len(conflicts) > 0 {
			return "", fmt.Errorf("repository %s: cannot merge branch %q into %q: both changed %s: %w",
				r, source, target, strings.Join(conflicts, ", "), fault.ErrConflict)
		}
		to = h
	}
	if err := c.push(ctx, repo, r, plumbing.NewBranchReferenceName(target), to); err != nil {
		return "", err
	}
	c.log.Info("repository branch merged", "repository", r.ID, "location", r.String(), "source", source, "target", target,
		"commit", to.String(), "fast_forward", behind)
	return to.String(), nil
}

// Remove deletes a remote's mirror and forgets its cached files.
func (c *Cache) Remove(r Remote) error {
	m, err := c.mirror(Remote{ID: r.ID, Location: "-"})
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.repo.Store(nil)
	c.trees.drop(r.ID + "\x00")
	c.blobs.drop(r.ID)
	if err := os.RemoveAll(m.dir); err != nil {
		return fmt.Errorf("repository %s: remove mirror: %w", r.ID, err)
	}
	return nil
}

// signature is the author of commits made here.
func (c *Cache) signature() *object.Signature {
	return &object.Signature{Name: c.cfg.AuthorName, Email: c.cfg.AuthorEmail, When: time.Now()}
}
