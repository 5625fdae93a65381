package rest

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"

	"github.com/infrahub-go/infrahub/authz"
	"github.com/infrahub-go/infrahub/commands"
	"github.com/infrahub-go/infrahub/fault"
	"github.com/infrahub-go/infrahub/limits"
	"github.com/infrahub-go/infrahub/storage"
)

// multipartOverhead is what a file upload's body may hold beyond the file itself: the
// multipart boundaries and part headers.
const multipartOverhead = 1 << 20

// Storage serves Infrahub's object store (backend/infrahub/api/storage.py), which the SDK's
// ObjectStore calls (infrahub_sdk/object_store.py):
//
//	GET  /api/storage/object/{identifier}  the object's bytes (application/octet-stream)
//	POST /api/storage/upload/content       JSON {"content": "..."}: stores the text (UTF-8)
//	POST /api/storage/upload/file          multipart/form-data, the file in the part "file"
//
// Uploads answer {"identifier", "checksum"} (the MD5 of the content). Identifiers are
// content-addressed (storage.IDOf): uploading the same content twice answers the same
// identifier, where Infrahub makes a new one each time. Reading needs what every read needs
// (the authentication middleware refuses anonymous requests unless anonymous access is allowed);
// uploading needs an account, as Infrahub's get_current_user refuses anonymous POSTs. Errors
// answer in Infrahub's body ({"data": null, "errors": [{"message", "extensions": {"code"}}]}),
// which the SDK reads on 401 and 403.
type Storage struct {
	Store *storage.Store
	// MaxBodyBytes bounds the JSON body of /upload/content (limits.BodyBytes; 0: its default).
	// A file upload's body is bounded by the store's MaxBytes plus 1 MiB of multipart framing.
	MaxBodyBytes int64
}

// Register adds the routes to mux.
func (s *Storage) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/storage/object/{identifier}", s.get)
	mux.HandleFunc("POST /api/storage/upload/content", s.uploadContent)
	mux.HandleFunc("POST /api/storage/upload/file", s.uploadFile)
}

func (s *Storage) get(w http.ResponseWriter, r *http.Request) {
	content, err := s.Store.Get(r.Context(), r.PathValue("identifier"))
	if err != nil {
		writeInfrahubError(w, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(content)
}

func (s *Storage) uploadContent(w http.ResponseWriter, r *http.Request) {
	if err := authz.RequireAccount(authz.From(r.Context())); err != nil {
		writeInfrahubError(w, err)
		return
	}
	var body struct {
		Content *string `json:"content"`
	}
	if err := commands.ReadBody(w, r, s.MaxBodyBytes, &body); err != nil {
		writeInfrahubError(w, err)
		return
	}
	if body.Content == nil {
		writeInfrahubError(w, fmt.Errorf("%w: body: field content is required (a string)", fault.ErrInvalid))
		return
	}
	s.answer(w, r, func() (storage.Object, error) { return s.Store.Put(r.Context(), []byte(*body.Content)) })
}

func (s *Storage) uploadFile(w http.ResponseWriter, r *http.Request) {
	if err := authz.RequireAccount(authz.From(r.Context())); err != nil {
		writeInfrahubError(w, err)
		return
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "multipart/form-data" {
		writeInfrahubError(w, fmt.Errorf("%w: Content-Type %q: POST /api/storage/upload/file takes multipart/form-data with the file in the field file",
			fault.ErrInvalid, r.Header.Get("Content-Type")))
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, s.Store.MaxBytes()+multipartOverhead)
	mr, err := r.MultipartReader()
	if err != nil {
		writeInfrahubError(w, fmt.Errorf("%w: body: %w", fault.ErrInvalid, err))
		return
	}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			writeInfrahubError(w, fmt.Errorf("%w: body: the multipart field file is missing", fault.ErrInvalid))
			return
		}
		if err != nil {
			writeInfrahubError(w, s.bodyError(err))
			return
		}
		if part.FormName() != "file" {
			_ = part.Close()
			continue
		}
		s.answer(w, r, func() (storage.Object, error) { return s.Store.PutReader(r.Context(), part) })
		return
	}
}

// answer stores with put and answers Infrahub's UploadResponse.
func (s *Storage) answer(w http.ResponseWriter, r *http.Request, put func() (storage.Object, error)) {
	obj, err := put()
	if err != nil {
		writeInfrahubError(w, s.bodyError(err))
		return
	}
	writeJSON(w, http.StatusOK, obj)
}

// bodyError names the limit a body too long met; a failure of no kind while reading the body
// (a malformed multipart body, a client gone) is an invalid body. The store's own errors carry
// their kinds.
func (s *Storage) bodyError(err error) error {
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return fmt.Errorf("%w: the body is longer than %d bytes (%s, plus 1 MiB for the multipart framing)",
			limits.ErrExceeded, tooLarge.Limit, limits.Setting("StorageObjectBytes"))
	case fault.Classify(err).Kind == nil:
		return fmt.Errorf("%w: body: %w", fault.ErrInvalid, err)
	}
	return err
}

// writeInfrahubError answers err in Infrahub's error body with its fault's status; the message
// of an internal error stays in the server log.
func writeInfrahubError(w http.ResponseWriter, err error) {
	status, _ := commands.StatusOf(err)
	msg := err.Error()
	if status == http.StatusInternalServerError {
		msg = "internal error; see the server log"
	}
	writeJSON(w, status, infrahubErrors{Errors: []infrahubError{{Message: msg, Extensions: map[string]any{"code": status}}}})
}
