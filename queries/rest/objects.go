package rest

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/infrahub-go/infrahub/branch"
	"github.com/infrahub-go/infrahub/commands"
	"github.com/infrahub-go/infrahub/commands/objectfile"
	"github.com/infrahub-go/infrahub/limits"
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
	Limits  limits.Limits // the body's and object files' limits, those of loads (zero: limits.Default())
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
	if err := commands.ReadBody(w, r, o.Limits.BodyBytes, &body); err != nil {
		writeError(w, err)
		return
	}
	set, _ := o.State.Schema(name)
	out := ObjectCheck{Branch: name, Kinds: map[string]int{}}
	var problems []objectfile.Problem
	tooLarge := false
	for _, f := range body.Files {
		docs, err := objectfile.ParseFile(r.Context(), f.Name, []byte(f.Content), o.Limits)
		if err == nil {
			var objs []objectfile.Object
			var warnings []objectfile.Problem
			objs, warnings, err = objectfile.Resolve(r.Context(), set, docs, o.Limits)
			count(objs, &out)
			out.Warnings = append(out.Warnings, warnings...)
		}
		tooLarge = tooLarge || errors.Is(err, limits.ErrExceeded)
		var oe *objectfile.Error
		switch {
		case errors.As(err, &oe):
			problems = append(problems, oe.Problems...)
		case err != nil:
			problems = append(problems, objectfile.Problem{File: f.Name, Message: err.Error()})
		}
	}
	if len(problems) > 0 {
		kind, status, code := commands.ErrInvalid, http.StatusBadRequest, "invalid_command"
		if tooLarge { // a file over a limit: the limit's status and code, as a load answers it
			kind, status, code = limits.ErrExceeded, http.StatusRequestEntityTooLarge, "limit_exceeded"
		}
		err := fmt.Errorf("%w: object files:\n%w", kind, &objectfile.Error{Problems: problems})
		writeJSON(w, status, map[string]any{"error": map[string]any{
			"code": code, "message": err.Error(), "problems": problems}})
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
