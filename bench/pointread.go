package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/infrahub-go/infrahub/branch"
	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/projections/graph/memory"
	"github.com/infrahub-go/infrahub/queries/rest"
)

// pointReadServer serves GET /api/nodes/{kind}/{id} over loopback HTTP from a Store holding the
// graph log (scenario 12).
type pointReadServer struct {
	base string
	ids  []string
	srv  *http.Server
}

func (e *env) pointReadServer(ctx context.Context) (*pointReadServer, error) {
	if e.point != nil {
		return e.point, nil
	}
	g, err := e.graphLog()
	if err != nil {
		return nil, err
	}
	s, err := e.filledStore(ctx)
	if err != nil {
		return nil, err
	}
	// Nothing folds into s after filledStore: a position beyond its head never comes.
	port, err := memory.New(memory.Config{Store: s, WaitFor: func(ctx context.Context, _ events.Position) error {
		<-ctx.Done()
		return ctx.Err()
	}})
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	(&rest.Nodes{Graph: port, Default: branch.Default}).Register(mux)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &pointReadServer{base: "http://" + l.Addr().String(), srv: &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}}
	go func() { _ = p.srv.Serve(l) }()
	for i := 0; i < len(g.payloads); i += max(1, len(g.payloads)/10_000) {
		p.ids = append(p.ids, g.payloads[i].(nodes.Created).ID)
	}
	e.point = p
	return p, nil
}

// pointRead reads one node by id over HTTP, one client, for one time-boxed round.
func (e *env) pointRead() measureFunc {
	client := &http.Client{Timeout: 5 * time.Second}
	return func(ctx context.Context, _ int) (round, error) {
		p, err := e.pointReadServer(ctx)
		if err != nil {
			return round{}, err
		}
		rate, _, err := timeBoxed(ctx, 1, e.sz.window, func(ctx context.Context, _, i int) error {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, p.base+"/api/nodes/BenchDevice/"+p.ids[i%len(p.ids)], nil)
			resp, err := client.Do(req)
			if err != nil {
				return err
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("GET node: %s", resp.Status)
			}
			return nil
		})
		return rateRound(rate), err
	}
}

// redisGet is scenario 12's baseline: GET of a key holding a node-sized JSON value, one client.
func redisGet(ctx context.Context, e *env) (measureFunc, func(), error) {
	opts, err := redis.ParseURL(e.cfg.redisURL)
	if err != nil {
		return nil, nil, fmt.Errorf("--redis: %w", err)
	}
	c := redis.NewClient(opts)
	key := "infrahub-bench:" + e.runID
	if err := c.Set(ctx, key, nodeRowPayload, time.Hour).Err(); err != nil {
		_ = c.Close()
		return nil, nil, fmt.Errorf("Redis at %s: %w", redactURL(e.cfg.redisURL), err)
	}
	return func(ctx context.Context, _ int) (round, error) {
			rate, _, err := timeBoxed(ctx, 1, e.sz.window, func(ctx context.Context, _, _ int) error {
				return c.Get(ctx, key).Err()
			})
			return rateRound(rate), err
		}, func() {
			_ = c.Del(context.Background(), key).Err()
			_ = c.Close()
		}, nil
}
