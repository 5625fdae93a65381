package bus

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/ThreeDotsLabs/watermill"
)

// Watermill's records still reach the log when their level is on (info mapped to debug, with
// the fields of With and of the call), and cost no allocation when it is off.
func TestWatermillLogLevels(t *testing.T) {
	var buf bytes.Buffer
	debug := newWatermillLog(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: watermill.LevelTrace})))
	debug.With(watermill.LogFields{"topic": "t"}).Info("no subscribers", watermill.LogFields{"uuid": "u1"})
	debug.Trace("sending", watermill.LogFields{"uuid": "u2"})
	out := buf.String()
	for _, want := range []string{"level=DEBUG msg=\"no subscribers\"", "topic=t", "uuid=u1", "msg=sending", "uuid=u2"} {
		if !strings.Contains(out, want) {
			t.Errorf("debug log lacks %q:\n%s", want, out)
		}
	}

	buf.Reset()
	info := newWatermillLog(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo})))
	fields := watermill.LogFields{"uuid": "u", "topic": "t"}
	if n := testing.AllocsPerRun(100, func() {
		info.Trace("sending", fields)
		info.Debug("sent", fields)
		info.Info("no subscribers", fields)
	}); n != 0 {
		t.Errorf("records below the level allocate %.0f times", n)
	}
	info.Error("failed", nil, fields)
	if buf.Len() == 0 || strings.Contains(buf.String(), "no subscribers") {
		t.Errorf("at info: %q", buf.String())
	}
}
