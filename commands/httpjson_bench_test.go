package commands

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"testing"

	"github.com/infrahub-go/infrahub/events"
)

// BenchmarkEndpointCreate is what POST /api/commands costs around the command's decision (bench
// row 13, issue 22): reading and decoding the body, reading the payload's scope as authorize
// does, writing the answer. The dispatcher answers a fixed node.create Result.
func BenchmarkEndpointCreate(b *testing.B) {
	body := []byte(`{"type":"node.create","payload":{"kind":"BenchInterface","data":{"name":"http-12345","description":"created over HTTP","mtu":9000,"enabled":true,"device":{"id":"18b2c3a4-0000-4000-8000-000000000001"}}}}`)
	res := Result{Stream: "node-18b2c3a4-0000-4000-8000-000000000002", Positions: []events.Position{123456, 123457}, StreamVersion: 1,
		Data: NodeOutcome{ID: "18b2c3a4-0000-4000-8000-000000000002", Kind: "BenchInterface", HFID: []string{"dev-0001", "http-12345"},
			DisplayLabel: "http-12345", Outcome: "created"}}
	e := &Endpoint{Commands: fixedDispatcher{res}}
	rd := bytes.NewReader(body)
	r, _ := http.NewRequest(http.MethodPost, "/api/commands", nil)
	r.Body = io.NopCloser(rd)
	w := &sinkWriter{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		rd.Reset(body)
		clear(w.h)
		w.n = 0
		e.ServeHTTP(w, r)
	}
	if w.n == 0 || w.h.Get("Content-Type") != "application/json" {
		b.Fatalf("answer: %d bytes, %v", w.n, w.h)
	}
}

type fixedDispatcher struct{ res Result }

func (d fixedDispatcher) Dispatch(_ context.Context, cmd Command) (Result, error) {
	_ = scopeOf(cmd.Payload)
	return d.res, nil
}

// sinkWriter is a ResponseWriter that keeps nothing but the headers and a count.
type sinkWriter struct {
	h http.Header
	n int
}

func (w *sinkWriter) Header() http.Header         { return w.h }
func (w *sinkWriter) WriteHeader(int)             {}
func (w *sinkWriter) Write(p []byte) (int, error) { w.n += len(p); return len(p), nil }

func BenchmarkScopeOf(b *testing.B) {
	payload := []byte(`{"kind":"BenchInterface","data":{"name":"http-12345","description":"created over HTTP","mtu":9000,"enabled":true,"device":{"id":"18b2c3a4-0000-4000-8000-000000000001"}}}`)
	b.Run("fast", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = scopeOf(payload)
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = scopeSlow(payload)
		}
	})
}
