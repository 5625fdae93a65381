-- +goose Up
-- What an idempotent append keeps beside its command id: the hash of the command (its type and
-- payload), to refuse another command reusing the id, and the command's answer, to answer its
-- retries with the first result.
ALTER TABLE event_commands ADD COLUMN payload_hash TEXT;
ALTER TABLE event_commands ADD COLUMN answer BLOB;

-- +goose Down
ALTER TABLE event_commands DROP COLUMN answer;
ALTER TABLE event_commands DROP COLUMN payload_hash;
