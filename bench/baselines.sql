-- bench/baselines.sql: what a competent engineer would write without
-- task_cancel, for the benchmark only.  Never installed by the extension.
--
-- Baseline A is plain SQL in the pgbench scripts (bench/scripts/*_a.sql).
-- Baseline B is this PL/pgSQL function with cancel_tasks' signature and
-- validation, and a PL/pgSQL trigger doing the status guard's checks.
\set ON_ERROR_STOP 1
CREATE SCHEMA bench;

CREATE FUNCTION bench.cancel_tasks(p_customer text, p_mode text, p_arg text,
                                   p_journey_id bigint)
RETURNS TABLE (task_id bigint, task_type text, previous_status text)
LANGUAGE plpgsql
AS $$
DECLARE
    v_journey_name text;
    v_types text[];
    v_campaign bigint;
    v_reason text;
    v_label text;
    v_cancelable boolean;
BEGIN
    IF p_customer IS NULL THEN
        RAISE EXCEPTION 'customer must not be null' USING ERRCODE = '22004';
    ELSIF p_customer = '' THEN
        RAISE EXCEPTION 'customer must not be empty' USING ERRCODE = '22023';
    ELSIF p_journey_id IS NULL THEN
        RAISE EXCEPTION 'journey_id must not be null' USING ERRCODE = '22004';
    END IF;
    SELECT j.name INTO v_journey_name FROM task_cancel.journeys j WHERE j.id = p_journey_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'journey % is not registered', p_journey_id USING ERRCODE = '22023';
    END IF;
    IF p_mode = 'all' THEN
        IF p_arg IS NOT NULL THEN
            RAISE EXCEPTION 'cancel mode "all" takes no argument' USING ERRCODE = '22023';
        END IF;
        SELECT array_agg(tt.name) INTO v_types FROM task_cancel.task_types tt WHERE tt.cancelable;
        v_reason := 'Cancel Task block: all of the customer''s waiting tasks';
    ELSIF p_mode = 'task_type' THEN
        SELECT tt.label, tt.cancelable INTO v_label, v_cancelable
          FROM task_cancel.task_types tt WHERE tt.name = p_arg;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'unknown task type "%"', p_arg USING ERRCODE = '22023';
        ELSIF NOT v_cancelable THEN
            RAISE EXCEPTION 'tasks of type "%" cannot be canceled', p_arg USING ERRCODE = '0A000';
        END IF;
        v_types := ARRAY[p_arg];
        v_reason := format('Cancel Task block: waiting tasks of type %s (%s)', v_label, p_arg);
    ELSIF p_mode = 'campaign' THEN
        v_campaign := p_arg::bigint;
        SELECT format('Cancel Task block: waiting tasks of campaign %s (id %s)', c.name, c.id)
          INTO v_reason FROM task_cancel.campaigns c WHERE c.id = v_campaign;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'campaign % does not exist', v_campaign USING ERRCODE = '22023';
        END IF;
        SELECT array_agg(tt.name) INTO v_types FROM task_cancel.task_types tt WHERE tt.cancelable;
    ELSE
        RAISE EXCEPTION 'invalid cancel mode "%"', p_mode USING ERRCODE = '22023';
    END IF;

    RETURN QUERY
    WITH locked AS (
        SELECT t.id, t.status FROM task_cancel.tasks t
         WHERE t.customer = p_customer
           AND t.status IN ('pending', 'reserved')
           AND t.task_type = ANY (v_types)
           AND (v_campaign IS NULL OR t.campaign_id = v_campaign)
         ORDER BY t.id
           FOR NO KEY UPDATE
    ), canceled AS (
        UPDATE task_cancel.tasks t
           SET status = 'canceled', canceled_at = now(),
               canceled_by_journey_id = p_journey_id,
               canceled_by_journey_name = v_journey_name,
               cancel_reason = v_reason
          FROM locked
         WHERE t.customer = p_customer AND t.id = locked.id
        RETURNING t.id, t.task_type, locked.status
    )
    SELECT c.id, c.task_type, c.status FROM canceled c ORDER BY c.id;
END $$;

CREATE FUNCTION bench.cancel_tasks(p_customers text[], p_mode text, p_arg text,
                                   p_journey_id bigint)
RETURNS TABLE (task_id bigint, customer text, task_type text, previous_status text)
LANGUAGE plpgsql
AS $$
DECLARE
    v_journey_name text;
    v_types text[];
BEGIN
    IF p_customers IS NULL OR array_position(p_customers, NULL) IS NOT NULL THEN
        RAISE EXCEPTION 'customers must not contain null' USING ERRCODE = '22004';
    END IF;
    SELECT j.name INTO v_journey_name FROM task_cancel.journeys j WHERE j.id = p_journey_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'journey % is not registered', p_journey_id USING ERRCODE = '22023';
    END IF;
    IF p_mode <> 'all' OR p_arg IS NOT NULL THEN
        RAISE EXCEPTION 'the benchmark only uses mode "all" here' USING ERRCODE = '22023';
    END IF;
    SELECT array_agg(tt.name) INTO v_types FROM task_cancel.task_types tt WHERE tt.cancelable;
    RETURN QUERY
    WITH locked AS (
        SELECT t.customer, t.id, t.status FROM task_cancel.tasks t
         WHERE t.customer = ANY (p_customers)
           AND t.status IN ('pending', 'reserved')
           AND t.task_type = ANY (v_types)
         ORDER BY t.customer, t.id
           FOR NO KEY UPDATE
    ), canceled AS (
        UPDATE task_cancel.tasks t
           SET status = 'canceled', canceled_at = now(),
               canceled_by_journey_id = p_journey_id,
               canceled_by_journey_name = v_journey_name,
               cancel_reason = 'Cancel Task block: all of the customer''s waiting tasks'
          FROM locked
         WHERE t.customer = locked.customer AND t.id = locked.id
        RETURNING t.id, t.customer, t.task_type, locked.status
    )
    SELECT c.id, c.customer, c.task_type, c.status FROM canceled c ORDER BY c.customer, c.id;
END $$;

-- The status guard as a PL/pgSQL trigger: the same transitions and the
-- same immutable audit columns as src/status_guard.c.
CREATE FUNCTION bench.status_guard() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    IF NOT (NEW.status = OLD.status
            OR (OLD.status = 'pending'  AND NEW.status IN ('reserved', 'assigned', 'canceled'))
            OR (OLD.status = 'reserved' AND NEW.status IN ('pending', 'assigned', 'canceled'))
            OR (OLD.status = 'assigned' AND NEW.status IN ('wrapping', 'completed'))
            OR (OLD.status = 'wrapping' AND NEW.status = 'completed')) THEN
        RAISE EXCEPTION 'cannot change status of task % from "%" to "%"',
            OLD.id, OLD.status, NEW.status USING ERRCODE = '23514';
    END IF;
    IF NEW.status = 'canceled' AND OLD.status <> 'canceled' THEN
        IF NEW.canceled_at IS NULL THEN
            NEW.canceled_at := now();
        END IF;
    ELSIF NEW.canceled_at IS DISTINCT FROM OLD.canceled_at
       OR NEW.canceled_by_journey_id IS DISTINCT FROM OLD.canceled_by_journey_id
       OR NEW.canceled_by_journey_name IS DISTINCT FROM OLD.canceled_by_journey_name
       OR NEW.cancel_reason IS DISTINCT FROM OLD.cancel_reason THEN
        RAISE EXCEPTION 'cannot change cancel audit columns of task %', OLD.id
            USING ERRCODE = '23514';
    END IF;
    IF NEW.status = 'completed' AND OLD.status <> 'completed' AND NEW.completed_at IS NULL THEN
        NEW.completed_at := now();
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER zz_status_guard_plpgsql
    BEFORE UPDATE ON task_cancel.tasks
    FOR EACH ROW EXECUTE FUNCTION bench.status_guard();
ALTER TABLE task_cancel.tasks DISABLE TRIGGER zz_status_guard_plpgsql;

-- Memory check: call cancel_tasks n times in one backend, committing every
-- 1000 calls so only what outlives a transaction accumulates.
CREATE PROCEDURE bench.call_many(n int, ncust int)
LANGUAGE plpgsql
AS $$
BEGIN
    FOR i IN 1 .. n LOOP
        PERFORM count(*) FROM task_cancel.cancel_tasks(
            'c' || lpad((i % ncust)::text, 8, '0'), 'all', NULL, 1);
        IF i % 1000 = 0 THEN
            COMMIT;
        END IF;
    END LOOP;
END $$;
