\set c random(0, 1000000000)
BEGIN;
SELECT task_cancel.create_task('r' || :client_id || '_' || :c, 'inbound_call') AS id \gset
SELECT task_cancel.reserve_task(:id, 'agent1');
SELECT task_cancel.accept_task(:id, 'agent1');
SELECT task_cancel.complete_task(:id);
COMMIT;
