-- A call's identity for repeat_loop: (agent, session, tool, arguments hash) hashed once, as
-- each call is written, into 8 bytes; 0 when the arguments were not recorded (never compared).
-- repeat_loop counts these keys over a range to find the sessions where a call repeats.
-- Computed at query time, that read the session and arguments strings of every call twice and
-- hashed them: 0.45-0.6 s of a busy week's suggest (2.3 M calls). Existing rows get the column
-- by a background mutation; until a part is rewritten, reading the column computes the same
-- expression, so answers never change.
ALTER TABLE {{db}}.tool_calls {{on_cluster}} ADD COLUMN IF NOT EXISTS call_key UInt64 MATERIALIZED if(args_hash = '', 0, cityHash64(agent, session, tool, args_hash));
ALTER TABLE {{db}}.tool_calls {{on_cluster}} MATERIALIZE COLUMN call_key;
