-- +goose Up
CREATE TABLE events (
    global_position INTEGER PRIMARY KEY,
    stream          TEXT    NOT NULL,
    stream_version  INTEGER NOT NULL,
    event_id        BLOB    NOT NULL UNIQUE,
    type            TEXT    NOT NULL,
    schema_version  INTEGER NOT NULL,
    occurred_at     INTEGER NOT NULL, -- Unix microseconds, UTC
    recorded_at     INTEGER NOT NULL, -- Unix microseconds, UTC
    command_id      TEXT,
    correlation_id  TEXT,
    causation_id    TEXT,
    actor           TEXT,
    traceparent     TEXT,
    payload         BLOB    NOT NULL,
    UNIQUE (stream, stream_version)
);

CREATE TABLE event_streams (
    stream  TEXT PRIMARY KEY,
    version INTEGER NOT NULL
) WITHOUT ROWID;

-- One row per idempotent append: the first position, how many events, the stream version after.
CREATE TABLE event_commands (
    command_id     TEXT PRIMARY KEY,
    stream         TEXT    NOT NULL,
    first_position INTEGER NOT NULL,
    event_count    INTEGER NOT NULL,
    stream_version INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE checkpoints (
    name       TEXT PRIMARY KEY,
    position   INTEGER NOT NULL,
    version    INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) WITHOUT ROWID;

-- +goose Down
DROP TABLE checkpoints;
DROP TABLE event_commands;
DROP TABLE event_streams;
DROP TABLE events;
