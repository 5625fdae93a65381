-- +goose Up
-- A command record keeps where its append begins and how many events it wrote: its stream and
-- the version it left are those of its first event (plus event_count - 1), which the reads join.
-- The two columns lengthened every record, so the leaves of event_commands, one of which every
-- append dirties, split more often.
ALTER TABLE event_commands DROP COLUMN stream;
ALTER TABLE event_commands DROP COLUMN stream_version;

-- +goose Down
CREATE TABLE event_commands_wide (
    command_id     TEXT PRIMARY KEY,
    stream         TEXT    NOT NULL,
    first_position INTEGER NOT NULL,
    event_count    INTEGER NOT NULL,
    stream_version INTEGER NOT NULL,
    payload_hash   TEXT,
    answer         BLOB
) WITHOUT ROWID;
INSERT INTO event_commands_wide (command_id, stream, first_position, event_count, stream_version, payload_hash, answer)
    SELECT c.command_id, e.stream, c.first_position, c.event_count, e.stream_version + c.event_count - 1,
        c.payload_hash, c.answer
    FROM event_commands c JOIN events e ON e.global_position = c.first_position;
DROP TABLE event_commands;
ALTER TABLE event_commands_wide RENAME TO event_commands;
