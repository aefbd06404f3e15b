-- test/soak/setup.sql: a fresh database for the soak: the extension, two
-- journeys, five campaigns, and the logs in which every client records,
-- in the same transaction, each accept that succeeded and each task a
-- cancel returned.
\set ON_ERROR_STOP 1
CREATE EXTENSION task_cancel;
SELECT task_cancel.register_journey(1, 'Soak journey');
SELECT task_cancel.register_journey(2, 'Soak block list');
SELECT task_cancel.register_campaign(c, 'Soak campaign ' || c, CASE WHEN c % 2 = 0 THEN 'sms' ELSE 'voice' END)
  FROM generate_series(1, 5) AS c;

CREATE SCHEMA soak;
CREATE TABLE soak.accepts (task_id bigint NOT NULL, agent text NOT NULL,
                           at timestamptz NOT NULL DEFAULT clock_timestamp());
CREATE TABLE soak.cancels (task_id bigint NOT NULL, customer text NOT NULL,
                           journey_id bigint NOT NULL, mode text NOT NULL,
                           at timestamptz NOT NULL DEFAULT clock_timestamp());

-- 50 customers, each with a few tasks to start with.
SELECT count(task_cancel.create_task('s' || c, t))
  FROM generate_series(1, 50) AS c,
       unnest(ARRAY['inbound_call', 'voicemail', 'inbound_sms', 'automated_sms']) AS t;
