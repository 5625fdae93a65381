package payload_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/infrahub-go/infrahub/commands/payload"
	"github.com/infrahub-go/infrahub/fault"
)

func TestDecode(t *testing.T) {
	type in struct {
		Name string `json:"name"`
	}
	var v in
	if err := payload.Decode([]byte(`{"name":"x"}`), &v, "payload"); err != nil || v.Name != "x" {
		t.Fatalf("decode: %v %+v", err, v)
	}
	if err := payload.Decode(nil, &v, "payload"); err != nil {
		t.Fatalf("empty payload: %v", err)
	}
	cases := map[string]string{
		`{"nam":"x"}`:            `"nam"`,
		`{"name":1}`:             "payload",
		`{"name":"x"} {}`:        "more than one",
		`not json`:               "payload",
		`{"name":"x"`:            "payload",
		`["name"]`:               "payload",
		`{"name":"x"}` + "\n\n[": "more than one",
	}
	for raw, want := range cases {
		err := payload.Decode([]byte(raw), &v, "payload")
		if !errors.Is(err, fault.ErrInvalid) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want an invalid error naming %s", raw, err, want)
		}
	}
}

func TestReadTooLarge(t *testing.T) {
	rec := httptest.NewRecorder()
	body := http.MaxBytesReader(rec, httptest.NewRequest("POST", "/", strings.NewReader(`{"name":"`+strings.Repeat("x", 100)+`"}`)).Body, 10)
	var v map[string]any
	err := payload.Read(body, &v, "body")
	if !errors.Is(err, fault.ErrTooLarge) || !strings.Contains(err.Error(), "10 bytes") {
		t.Fatalf("err = %v, want too large naming the limit", err)
	}
}
