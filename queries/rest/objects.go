package rest

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/infrahub-go/infrahub/branch"
	"github.com/infrahub-go/infrahub/commands"
	"github.com/infrahub-go/infrahub/commands/objectfile"
)

// ObjectFile is one object file sent for validation: its name and its YAML text.
type ObjectFile struct {
	Name    string `json:"name"`
	Content string `json:"content"`
}

// ObjectCheck is the answer of POST /api/objects/validate. Warnings name what the files hold
// that a load ignores (unknown keys, as infrahubctl ignores them).
type ObjectCheck struct {
	Branch   string               `json:"branch"`
	Objects  int                  `json:"objects"`
	Kinds    map[string]int       `json:"kinds"`
	Warnings []objectfile.Problem `json:"warnings,omitempty"`
}

// Objects serves POST /api/objects/validate?branch=: object files are parsed and resolved
// against the branch's schema, nothing is written.
type Objects struct {
	State   State
	Default string
	// MaxBodyBytes bounds the request body (limits.BodyBytes; 0: the default).
	MaxBodyBytes int64
}

// Register adds the routes to mux.
func (o *Objects) Register(mux *http.ServeMux) {
	mux.HandleFunc("POST /api/objects/validate", o.validate)
}

func (o *Objects) validate(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Files []ObjectFile `json:"files"`
	}
	name := r.URL.Query().Get("branch")
	if name == "" {
		name = o.Default
	}
	if _, ok := o.State.Branch(name); !ok {
		writeError(w, fmt.Errorf("parameter branch: %w: %q", branch.ErrNotFound, name))
		return
	}
	if err := commands.ReadBody(w, r, o.MaxBodyBytes, &body); err != nil {
		writeError(w, err)
		return
	}
	set, _ := o.State.Schema(name)
	out := ObjectCheck{Branch: name, Kinds: map[string]int{}}
	var problems []objectfile.Problem
	for _, f := range body.Files {
		docs, err := objectfile.ParseFile(f.Name, []byte(f.Content))
		if err == nil {
			var objs []objectfile.Object
			var warnings []objectfile.Problem
			objs, warnings, err = objectfile.Resolve(set, docs)
			count(objs, &out)
			out.Warnings = append(out.Warnings, warnings...)
		}
		var oe *objectfile.Error
		switch {
		case errors.As(err, &oe):
			problems = append(problems, oe.Problems...)
		case err != nil:
			problems = append(problems, objectfile.Problem{File: f.Name, Message: err.Error()})
		}
	}
	if len(problems) > 0 {
		err := fmt.Errorf("%w: object files:\n%w", commands.ErrInvalid, &objectfile.Error{Problems: problems})
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": map[string]any{
			"code": "invalid_command", "message": err.Error(), "problems": problems}})
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func count(objs []objectfile.Object, out *ObjectCheck) {
	for _, o := range objs {
		out.Objects++
		out.Kinds[o.Kind]++
		count(o.Children, out)
	}
}
