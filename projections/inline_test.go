package projections_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/infrahub-go/infrahub/internal/pipelinetest"
	"github.com/infrahub-go/infrahub/projections"
	"github.com/infrahub-go/infrahub/projections/counter"
)

func TestInline(t *testing.T) {
	for _, sc := range pipelinetest.StoreCases {
		t.Run(sc.Name, func(t *testing.T) {
			ctx := context.Background()
			s := sc.Open(t)
			pipelinetest.AppendConcurrently(t, s, 6000, 3) // more than one read of the log
			c := counter.New()
			f := projections.NewInline(s, c)
			_, _, _, head := counts(t, s)
			if err := f.WaitFor(ctx, head); err != nil {
				t.Fatal(err)
			}
			assertMatchesLog(t, c, s)
			if f.Position() != head {
				t.Fatalf("position %d, want %d", f.Position(), head)
			}

			// Later writes are folded by the next wait, whatever position it names.
			pipelinetest.AppendConcurrently(t, s, 10, 1)
			if err := f.WaitFor(ctx, 0); err != nil {
				t.Fatal(err)
			}
			assertMatchesLog(t, c, s)

			// A position beyond the head is an error, not a hang.
			wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			if err := f.WaitFor(wctx, f.Position()+1000); err == nil || !strings.Contains(err.Error(), "beyond the log head") {
				t.Fatalf("wait beyond the head: %v", err)
			}

			// A projector restored at a position starts after it.
			p := positioned{Counter: counter.New(), from: head}
			if err := projections.NewInline(s, p).WaitFor(ctx, 0); err != nil {
				t.Fatal(err)
			}
			if got := p.Snapshot().Total; got != 10 {
				t.Fatalf("restored projector folded %d events, want the 10 after its position", got)
			}
		})
	}
}
