-- a journey cancels one task type
\set c random(1, 50)
\set t random(1, 10)
INSERT INTO soak.cancels (task_id, customer, journey_id, mode)
SELECT task_id, 's' || :c, 1, 'task_type'
  FROM task_cancel.cancel_tasks('s' || :c, 'task_type',
    (ARRAY['inbound_call', 'transfer_call', 'inbound_sms', 'outbound_call',
           'manual_outbound_call', 'asap_callback', 'scheduled_callback',
           'outbound_sms', 'voicemail', 'custom_task'])[:t], 1);
