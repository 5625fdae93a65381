package backoff_test

import (
	"context"
	"testing"
	"time"

	"github.com/infrahub-go/infrahub/backoff"
)

func TestDelayDoublesUpToTheLimit(t *testing.T) {
	for attempt, want := range map[int]time.Duration{0: 100 * time.Millisecond, 1: 200 * time.Millisecond,
		3: 800 * time.Millisecond, 10: 2 * time.Second, 1000: 2 * time.Second} {
		d := backoff.Delay(attempt, 2*time.Second)
		if d < want*8/10 || d > want*12/10 {
			t.Errorf("Delay(%d) = %s, want %s ±20 %%", attempt, d, want)
		}
	}
}

func TestSleepEndsWithItsContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if backoff.Sleep(ctx, time.Hour) {
		t.Fatal("Sleep outlived a cancelled context")
	}
	if !backoff.Sleep(context.Background(), time.Millisecond) {
		t.Fatal("Sleep reported a live context as ended")
	}
}
