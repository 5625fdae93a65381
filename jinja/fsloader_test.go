package jinja_test

import (
	"context"
	"errors"
	"io/fs"
	"testing"
	"testing/fstest"

	"github.com/infrahub-go/infrahub/jinja"
)

// FSLoader follows DirLoader's (Jinja2's FileSystemLoader's) rules over an fs.FS: includes and
// extends resolve from the root, "." pieces are ignored, ".." and folders are not found.
func TestFSLoader(t *testing.T) {
	fsys := fstest.MapFS{
		"templates/device.j2":     {Data: []byte("{% extends 'templates/base.j2' %}{% block body %}{% include './templates/parts/name.j2' %}{% endblock %}")},
		"templates/base.j2":       {Data: []byte("<{% block body %}{% endblock %}>\n")},
		"templates/parts/name.j2": {Data: []byte("{{ data.name }}")},
		"secret.txt":              {Data: []byte("no")},
	}
	env, err := jinja.New(jinja.FSEnv(fsys))
	if err != nil {
		t.Fatal(err)
	}
	tpl, err := env.Get("templates//device.j2")
	if err != nil {
		t.Fatal(err)
	}
	got, err := tpl.Render(context.Background(), map[string]any{"data": map[string]any{"name": "r1"}})
	if err != nil || got != "<r1>" { // Jinja2 drops a template's final newline (keep_trailing_newline false)
		t.Fatalf("render = %q, %v", got, err)
	}
	for _, name := range []string{"templates/../secret.txt", "templates", "", "missing.j2", `templates\base.j2`} {
		_, err := jinja.FSLoader(fsys).Load(name)
		if !errors.Is(err, jinja.ErrTemplateNotFound) {
			t.Errorf("Load(%q) = %v, want ErrTemplateNotFound", name, err)
		}
	}
	_, err = env.Get("templates/missing.j2")
	var je *jinja.Error
	if !errors.As(err, &je) || je.Kind != "TemplateNotFound" || je.Message != "templates/missing.j2" {
		t.Fatalf("Get(missing) = %v", err)
	}
	// Another failure of the file system is not a missing template.
	broken := errFS{fstest.MapFS{"a.j2": {Data: []byte("x")}}}
	if _, err := jinja.FSLoader(broken).Load("a.j2"); err == nil || errors.Is(err, jinja.ErrTemplateNotFound) {
		t.Fatalf("Load over a failing fs = %v", err)
	}
}

// errFS fails every open but the root's (it offers Open alone, not Stat nor ReadFile).
type errFS struct{ m fstest.MapFS }

func (e errFS) Open(name string) (fs.File, error) {
	if name == "." {
		return e.m.Open(name)
	}
	return nil, &fs.PathError{Op: "open", Path: name, Err: errors.New("disk on fire")}
}
