-- A day's calls merged into one part once the day is closed: every part of a partition an hour
-- old or more (no insert for an hour) makes the background merges fold the whole partition
-- into one. ReplacingMergeTree drops a redelivered span's copies as it merges, and a query's
-- FINAL then has nothing left to merge in that day: on a busy week (2.3 M calls, 2-3 parts a
-- day), suggest's learning pass went from 1.4-1.6 s to 0.9-1.2 s. A late delivery into a
-- closed day adds a part, folded in again an hour later. Today's partition keeps the usual merges.
ALTER TABLE {{db}}.tool_calls {{on_cluster}} MODIFY SETTING min_age_to_force_merge_seconds = 3600, min_age_to_force_merge_on_partition_only = 1;
