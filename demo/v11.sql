-- demo/v11.sql: what version 1.1 adds around the Cancel Task block.
\set ON_ERROR_STOP 1
\pset footer off

\echo
\echo '== Preview: what would "cancel all" take from Dana right now? (no locks, no changes)'
SELECT task_cancel.create_task('+15550004', 'voicemail') AS dana_voicemail \gset
SELECT task_cancel.create_task('+15550004', 'outbound_call', 7) AS dana_dialer \gset
SELECT * FROM task_cancel.preview_cancel('+15550004', 'all', NULL);

\echo
\echo '== Agent Ann presses "Cancel this Task & End Campaigns" on Dana''s voicemail'
\echo '   (the voicemail goes, and so does the dialer call a campaign created)'
SELECT task_cancel.reserve_task(:dana_voicemail, 'ann');
SELECT * FROM task_cancel.cancel_task(:dana_voicemail, 'ann', end_campaigns => true);

\echo
\echo '== Journey 101 puts Erin on the block list: her waiting call is canceled now ...'
SELECT task_cancel.create_task('+15550005', 'inbound_call');
SELECT task_cancel.block_customer('+15550005', 'Replied STOP', 101) AS canceled_now;
\echo '   ... and a task created for her later is born canceled; agents never see it.'
SELECT task_cancel.create_task('+15550005', 'asap_callback') AS erin_callback \gset
SELECT id, status, canceled_at = created_at AS born_canceled, cancel_reason
  FROM task_cancel.tasks WHERE id = :erin_callback;

\echo
\echo '== Cancel events: what the router and the webhook sender read (oldest first)'
SELECT id, customer, coalesce(canceled_by_journey_name, 'agent ' || canceled_by_agent) AS by,
       mode, arg, task_ids
  FROM task_cancel.cancel_events_since(NULL);
