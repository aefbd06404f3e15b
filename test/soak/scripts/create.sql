-- a journey or a caller creates a task (of any type; some from a campaign)
\set c random(1, 50)
\set t random(1, 11)
\set camp random(1, 5)
SELECT task_cancel.create_task('s' || :c,
    (ARRAY['inbound_call', 'transfer_call', 'inbound_sms', 'outbound_call',
           'manual_outbound_call', 'asap_callback', 'scheduled_callback',
           'outbound_sms', 'voicemail', 'custom_task', 'automated_sms'])[:t],
    CASE WHEN :t IN (4, 8, 11) THEN :camp::bigint END, 1);
