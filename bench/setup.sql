-- bench/setup.sql: the extension, lookup rows and the baselines.
\set ON_ERROR_STOP 1
CREATE EXTENSION task_cancel;
SELECT task_cancel.register_journey(1, 'Benchmark journey');
SELECT task_cancel.register_journey(2, 'Old journey');
SELECT task_cancel.register_campaign(c, 'Campaign ' || c, CASE WHEN c % 2 = 0 THEN 'sms' ELSE 'voice' END)
  FROM generate_series(1, 100) AS c;
\ir baselines.sql
