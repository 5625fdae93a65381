-- +goose Up
CREATE SEQUENCE event_position AS BIGINT;

CREATE TABLE events (
    global_position BIGINT      PRIMARY KEY,
    transaction_id  xid8        NOT NULL DEFAULT pg_current_xact_id(),
    stream          TEXT        NOT NULL,
    stream_version  BIGINT      NOT NULL,
    event_id        UUID        NOT NULL UNIQUE,
    type            TEXT        NOT NULL,
    schema_version  INT         NOT NULL,
    occurred_at     TIMESTAMPTZ NOT NULL,
    recorded_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    command_id      TEXT,
    correlation_id  TEXT,
    causation_id    TEXT,
    actor           TEXT,
    traceparent     TEXT,
    payload         JSON        NOT NULL,
    UNIQUE (stream, stream_version)
);

CREATE TABLE event_streams (
    stream  TEXT   PRIMARY KEY,
    version BIGINT NOT NULL
);

CREATE TABLE event_commands (
    command_id     TEXT   PRIMARY KEY,
    stream         TEXT   NOT NULL,
    first_position BIGINT NOT NULL,
    event_count    INT    NOT NULL,
    stream_version BIGINT NOT NULL
);

CREATE TABLE checkpoints (
    name       TEXT        PRIMARY KEY,
    position   BIGINT      NOT NULL,
    version    INT         NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- infrahub_append writes one batch of events to a stream in one round trip.
--
-- Order without gaps: readers return only rows whose transaction id is below the oldest running
-- transaction (pg_snapshot_xmin), so they never see a row while an older transaction may still
-- commit. That is gap-free only if positions follow transaction ids, so the transaction id is
-- taken (first write) and the positions are drawn inside one short critical section guarded by a
-- session advisory lock. The lock is released before commit, so commits still overlap (group
-- commit), and per-stream ordering uses a transaction advisory lock held until commit.
--
-- SQLSTATE IH409 reports a version conflict; its DETAIL is the stream's current version.
-- +goose StatementBegin
CREATE FUNCTION infrahub_append(
    p_stream          TEXT,
    p_expected        BIGINT,
    p_command_id      TEXT,
    p_event_ids       UUID[],
    p_types           TEXT[],
    p_schema_versions INT[],
    p_occurred_at     TIMESTAMPTZ[],
    p_correlation_ids TEXT[],
    p_causation_ids   TEXT[],
    p_actors          TEXT[],
    p_traceparents    TEXT[],
    p_payloads        JSON[]
) RETURNS TABLE (first_position BIGINT, event_count INT, stream_version BIGINT, duplicate BOOLEAN)
LANGUAGE plpgsql AS $$
DECLARE
    v_n       INT := cardinality(p_types);
    v_current BIGINT;
    v_first   BIGINT;
    v_cmd     event_commands%ROWTYPE;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended('infrahub.stream:' || p_stream, 0));
    IF p_command_id IS NOT NULL THEN
        PERFORM pg_advisory_xact_lock(hashtextextended('infrahub.command:' || p_command_id, 0));
        SELECT * INTO v_cmd FROM event_commands c WHERE c.command_id = p_command_id;
        IF FOUND THEN
            RETURN QUERY SELECT v_cmd.first_position, v_cmd.event_count, v_cmd.stream_version, TRUE;
            RETURN;
        END IF;
    END IF;

    SELECT s.version INTO v_current FROM event_streams s WHERE s.stream = p_stream;
    v_current := coalesce(v_current, 0);
    IF p_expected >= 0 AND v_current <> p_expected THEN
        RAISE EXCEPTION 'stream % is at version %, expected %', p_stream, v_current, p_expected
            USING ERRCODE = 'IH409', DETAIL = v_current::TEXT;
    END IF;

    PERFORM pg_advisory_lock(hashtextextended('infrahub.log-order', 0));
    BEGIN
        v_first := nextval('event_position');
        IF v_n > 1 THEN
            PERFORM setval('event_position', v_first + v_n - 1);
        END IF;
        INSERT INTO events (global_position, stream, stream_version, event_id, type, schema_version,
                            occurred_at, command_id, correlation_id, causation_id, actor, traceparent, payload)
        SELECT v_first + u.ord - 1, p_stream, v_current + u.ord, u.event_id, u.type, u.schema_version,
               u.occurred_at, p_command_id, u.correlation_id, u.causation_id, u.actor, u.traceparent, u.payload
        FROM unnest(p_event_ids, p_types, p_schema_versions, p_occurred_at, p_correlation_ids,
                    p_causation_ids, p_actors, p_traceparents, p_payloads)
             WITH ORDINALITY AS u(event_id, type, schema_version, occurred_at, correlation_id,
                                  causation_id, actor, traceparent, payload, ord);
    EXCEPTION WHEN OTHERS OR query_canceled THEN
        PERFORM pg_advisory_unlock(hashtextextended('infrahub.log-order', 0));
        RAISE;
    END;
    PERFORM pg_advisory_unlock(hashtextextended('infrahub.log-order', 0));

    INSERT INTO event_streams AS s (stream, version) VALUES (p_stream, v_current + v_n)
        ON CONFLICT (stream) DO UPDATE SET version = EXCLUDED.version;
    IF p_command_id IS NOT NULL THEN
        INSERT INTO event_commands VALUES (p_command_id, p_stream, v_first, v_n, v_current + v_n);
    END IF;
    RETURN QUERY SELECT v_first, v_n, v_current + v_n, FALSE;
END;
$$;
-- +goose StatementEnd

-- +goose Down
DROP FUNCTION infrahub_append;
DROP TABLE checkpoints;
DROP TABLE event_commands;
DROP TABLE event_streams;
DROP TABLE events;
DROP SEQUENCE event_position;
