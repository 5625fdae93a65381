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

-- infrahub_append writes the events of one or more appends ("requests") in one transaction and
-- one round trip: the client groups concurrent appends (group commit). Each request names a
-- distinct stream and command id; its events are consecutive in the event arrays
-- (p_counts[i] of them), and p_ev_req / p_ev_index give each event's request and its 1-based
-- index within that request. Each request gets its own answer: 'ok', 'duplicate' (its command id was
-- appended before: nothing written, the first answer returned) or 'conflict' (the stream is not
-- at the expected version; stream_version holds the actual one). A conflict writes nothing for
-- that request and does not affect the others.
--
-- Order without gaps: readers return only rows whose transaction id is below the oldest running
-- transaction (pg_snapshot_xmin), so they never see a row while an older transaction may still
-- commit. That is gap-free only if positions follow transaction ids, so the transaction id is
-- taken (first write) and the positions are drawn inside one short critical section guarded by a
-- session advisory lock. The lock is released before commit, so commits still overlap, and
-- per-stream ordering uses transaction advisory locks, taken in key order, held until commit.
-- +goose StatementBegin
CREATE FUNCTION infrahub_append(
    p_streams         TEXT[],
    p_expected        BIGINT[],
    p_command_ids     TEXT[],
    p_counts          INT[],
    p_ev_req          INT[],
    p_ev_index        INT[],
    p_event_ids       UUID[],
    p_types           TEXT[],
    p_schema_versions INT[],
    p_occurred_at     TIMESTAMPTZ[],
    p_correlation_ids TEXT[],
    p_causation_ids   TEXT[],
    p_actors          TEXT[],
    p_traceparents    TEXT[],
    p_payloads        JSON[]
) RETURNS TABLE (status TEXT, first_position BIGINT, event_count INT, stream_version BIGINT)
LANGUAGE plpgsql AS $$
DECLARE
    v_n       INT := cardinality(p_streams);
    v_status  TEXT[] := array_fill(NULL::TEXT, ARRAY[v_n]);
    v_base    BIGINT[] := array_fill(0::BIGINT, ARRAY[v_n]);
    v_first   BIGINT[] := array_fill(0::BIGINT, ARRAY[v_n]);
    v_count   INT[] := array_fill(0, ARRAY[v_n]);
    v_version BIGINT[] := array_fill(0::BIGINT, ARRAY[v_n]);
    v_offset  BIGINT[] := array_fill(0::BIGINT, ARRAY[v_n]); -- accepted events before request i
    v_total   INT := 0;
    v_pos     BIGINT;
    v_current BIGINT;
    v_cmd     event_commands%ROWTYPE;
    i         INT;
BEGIN
    PERFORM pg_advisory_xact_lock(k) FROM (
        SELECT hashtextextended('infrahub.stream:' || s, 0) AS k FROM unnest(p_streams) s
        UNION
        SELECT hashtextextended('infrahub.command:' || c, 0) FROM unnest(p_command_ids) c WHERE c IS NOT NULL
        ORDER BY 1) keys;

    FOR i IN 1 .. v_n LOOP
        IF p_command_ids[i] IS NOT NULL THEN
            SELECT * INTO v_cmd FROM event_commands c WHERE c.command_id = p_command_ids[i];
            IF FOUND THEN
                v_status[i] := 'duplicate';
                v_first[i] := v_cmd.first_position;
                v_count[i] := v_cmd.event_count;
                v_version[i] := v_cmd.stream_version;
                CONTINUE;
            END IF;
        END IF;
        SELECT s.version INTO v_current FROM event_streams s WHERE s.stream = p_streams[i];
        v_current := coalesce(v_current, 0);
        IF p_expected[i] >= 0 AND v_current <> p_expected[i] THEN
            v_status[i] := 'conflict';
            v_version[i] := v_current;
            CONTINUE;
        END IF;
        v_status[i] := 'ok';
        v_base[i] := v_current;
        v_count[i] := p_counts[i];
        v_version[i] := v_current + p_counts[i];
        v_total := v_total + p_counts[i];
    END LOOP;

    IF v_total > 0 THEN
        v_current := 0;
        FOR i IN 1 .. v_n LOOP
            v_offset[i] := v_current;
            IF v_status[i] = 'ok' THEN
                v_current := v_current + p_counts[i];
            END IF;
        END LOOP;

        PERFORM pg_advisory_lock(hashtextextended('infrahub.log-order', 0));
        BEGIN
            v_pos := nextval('event_position');
            IF v_total > 1 THEN
                PERFORM setval('event_position', v_pos + v_total - 1);
            END IF;
            INSERT INTO events (global_position, stream, stream_version, event_id, type, schema_version,
                                occurred_at, command_id, correlation_id, causation_id, actor, traceparent, payload)
            SELECT v_pos + v_offset[u.req] + u.idx - 1, p_streams[u.req], v_base[u.req] + u.idx,
                   u.event_id, u.type, u.schema_version, u.occurred_at, p_command_ids[u.req],
                   u.correlation_id, u.causation_id, u.actor, u.traceparent, u.payload
            FROM unnest(p_ev_req, p_ev_index, p_event_ids, p_types, p_schema_versions, p_occurred_at,
                        p_correlation_ids, p_causation_ids, p_actors, p_traceparents, p_payloads)
                 AS u(req, idx, event_id, type, schema_version, occurred_at, correlation_id,
                      causation_id, actor, traceparent, payload)
            WHERE v_status[u.req] = 'ok';
        EXCEPTION WHEN OTHERS OR query_canceled THEN
            PERFORM pg_advisory_unlock(hashtextextended('infrahub.log-order', 0));
            RAISE;
        END;
        PERFORM pg_advisory_unlock(hashtextextended('infrahub.log-order', 0));

        FOR i IN 1 .. v_n LOOP
            IF v_status[i] = 'ok' THEN
                v_first[i] := v_pos;
                v_pos := v_pos + p_counts[i];
                INSERT INTO event_streams AS s (stream, version) VALUES (p_streams[i], v_version[i])
                    ON CONFLICT (stream) DO UPDATE SET version = EXCLUDED.version;
                IF p_command_ids[i] IS NOT NULL THEN
                    INSERT INTO event_commands VALUES (p_command_ids[i], p_streams[i], v_first[i], p_counts[i], v_version[i]);
                END IF;
            END IF;
        END LOOP;
    END IF;

    RETURN QUERY SELECT v_status[r], v_first[r], v_count[r], v_version[r] FROM generate_subscripts(p_streams, 1) r ORDER BY r;
END;
$$;
-- +goose StatementEnd

-- +goose Down
DROP FUNCTION IF EXISTS infrahub_append;
DROP TABLE checkpoints;
DROP TABLE event_commands;
DROP TABLE event_streams;
DROP TABLE events;
DROP SEQUENCE event_position;
