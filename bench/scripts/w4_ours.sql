\set c random(0, :ncust - 1)
-- a type none of this customer's waiting tasks has (see bench/gen.sql)
\set t (8 * :c + 1) % 11
\set t 1 + case when :t = 10 then (8 * :c + 2) % 11 else :t end
BEGIN;
SELECT * FROM task_cancel.cancel_tasks('c' || lpad(:c::text, 8, '0'), 'task_type', (ARRAY['inbound_call', 'transfer_call', 'inbound_sms', 'outbound_call', 'manual_outbound_call', 'asap_callback', 'scheduled_callback', 'outbound_sms', 'voicemail', 'custom_task', 'automated_sms'])[:t], 1);
ROLLBACK;
