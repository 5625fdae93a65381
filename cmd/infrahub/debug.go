package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/infrahub-go/infrahub/authz"
	"github.com/infrahub-go/infrahub/commands"
	"github.com/infrahub-go/infrahub/fault"
)

// The profiling listener (INFRAHUB_DEBUG_LISTEN): Go's net/http/pprof handlers on an address of
// their own, for measuring a running server (the bench harness's --cpuprofile uses it). It is off
// by default, only listens on a loopback address, and answers only a super administrator's
// credentials (the API's authentication, authz's decision), since a profile shows the code and
// the timing of every request. The command line is not served (pprof's cmdline).

// validateDebugListen refuses an address that is not host:port with a loopback host.
func validateDebugListen(addr string) error {
	if addr == "" {
		return nil
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("INFRAHUB_DEBUG_LISTEN: %q: %v", addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("INFRAHUB_DEBUG_LISTEN: %q: use a loopback address (127.0.0.1:port, [::1]:port or localhost:port)", addr)
	}
	return nil
}

// debugHandler answers /debug/pprof/ and its profiles to a super administrator; authenticate
// puts the request's identity in its context (authn's Middleware).
func debugHandler(authenticate func(http.Handler) http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return authenticate(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !authz.Can(authz.From(r.Context()), authz.SuperAdmin) {
			commands.WriteError(w, fmt.Errorf("%w: the profiles are a super administrator's", fault.ErrForbidden))
			return
		}
		mux.ServeHTTP(w, r)
	}))
}

// startDebug serves the profiles on addr until the returned stop is called; addr empty starts
// nothing.
func startDebug(addr string, authenticate func(http.Handler) http.Handler, logger *slog.Logger) (stop func(), err error) {
	if addr == "" {
		return func() {}, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("INFRAHUB_DEBUG_LISTEN: %w", err)
	}
	// A CPU profile or trace runs for the seconds its request asks (pprof caps neither): the write
	// deadline bounds them to a few minutes.
	srv := &http.Server{Handler: debugHandler(authenticate), ReadHeaderTimeout: 5 * time.Second, WriteTimeout: 5 * time.Minute}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("profiling listener", "err", err)
		}
	}()
	logger.Info("profiling listener", "listen", ln.Addr().String())
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}, nil
}
