package bus

import (
	"context"
	"log/slog"

	"github.com/ThreeDotsLabs/watermill"
)

// quietLog is Watermill's slog adapter asked first whether its level is on: the adapter builds
// its attributes from the fields before slog checks the level, and the in-memory bus traces
// every message it delivers (a few allocations per message at a level that is off in service).
type quietLog struct {
	watermill.LoggerAdapter
	logger *slog.Logger
}

// newWatermillLog logs Watermill's records through logger, its info records at debug (Watermill
// logs routine events, each message without subscriber, each connection, at info).
func newWatermillLog(logger *slog.Logger) watermill.LoggerAdapter {
	return quietLog{LoggerAdapter: watermill.NewSlogLoggerWithLevelMapping(logger,
		map[slog.Level]slog.Level{slog.LevelInfo: slog.LevelDebug}), logger: logger}
}

func (q quietLog) Info(msg string, fields watermill.LogFields) {
	if q.logger.Enabled(context.Background(), slog.LevelDebug) {
		q.LoggerAdapter.Info(msg, fields)
	}
}

func (q quietLog) Debug(msg string, fields watermill.LogFields) {
	if q.logger.Enabled(context.Background(), slog.LevelDebug) {
		q.LoggerAdapter.Debug(msg, fields)
	}
}

func (q quietLog) Trace(msg string, fields watermill.LogFields) {
	if q.logger.Enabled(context.Background(), watermill.LevelTrace) {
		q.LoggerAdapter.Trace(msg, fields)
	}
}

func (q quietLog) With(fields watermill.LogFields) watermill.LoggerAdapter {
	w := q.LoggerAdapter.With(fields)
	return quietLog{LoggerAdapter: w, logger: q.logger} // the level check does not depend on the fields
}
