-- +goose Up
-- A stream's version is the highest stream_version of its events, which the UNIQUE (stream,
-- stream_version) index of events answers with one seek. event_streams repeated it, and every
-- group commit wrote it: one more B-tree, a WAL frame per group, and for an append to a new
-- stream a leaf of its own.
DROP TABLE event_streams;

-- +goose Down
CREATE TABLE event_streams (
    stream  TEXT PRIMARY KEY,
    version INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO event_streams (stream, version) SELECT stream, max(stream_version) FROM events GROUP BY stream;
