-- demo/setup.sql: a small contact center.  Two journeys, two campaigns,
-- three customers with tasks in every state an agent's queue shows.
\set ON_ERROR_STOP 1
CREATE EXTENSION task_cancel;

SELECT task_cancel.register_journey(101, 'Customer replied STOP');
SELECT task_cancel.register_journey(102, 'Appointment confirmed');
SELECT task_cancel.register_journey(103, 'Block list sync');
SELECT task_cancel.register_campaign(7, 'Spring sale dialer', 'voice');
SELECT task_cancel.register_campaign(8, 'Renewal reminders', 'sms');

-- Alice (+15550001) is in the middle of things: an inbound call and an
-- SMS waiting, a callback offered to agent Ann, an outbound call from the
-- dialer campaign, reminders from the SMS campaign (one agent task, one
-- automated SMS), and a call that agent Bob already took.
SELECT task_cancel.create_task('+15550001', 'inbound_call') AS alice_call \gset
SELECT task_cancel.create_task('+15550001', 'inbound_sms');
SELECT task_cancel.create_task('+15550001', 'asap_callback') AS alice_callback \gset
SELECT task_cancel.reserve_task(:alice_callback, 'ann');
SELECT task_cancel.create_task('+15550001', 'outbound_call', 7);
SELECT task_cancel.create_task('+15550001', 'outbound_sms', 8);
SELECT task_cancel.create_task('+15550001', 'automated_sms', 8);
SELECT task_cancel.create_task('+15550001', 'transfer_call', agent => 'bob');

-- Bart (+15550002) and Carla (+15550003) each have a dialer call and a
-- voicemail waiting.
SELECT task_cancel.create_task(c, t, CASE WHEN t = 'outbound_call' THEN 7 END)
  FROM unnest(ARRAY['+15550002', '+15550003']) AS c,
       unnest(ARRAY['outbound_call', 'voicemail']) AS t;
