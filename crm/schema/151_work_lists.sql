-- The console's work page reads the open activities by due time a page at
-- a time (the whole department's for a supervisor), and its calendar a
-- day's activities, open and done, at most a few per day. Without these
-- the week's activities were read whole and sorted (0.35 s at 350,000).
CREATE INDEX activities_open_due ON activities (due_at, id) INCLUDE (grace) WHERE done_at IS NULL;
CREATE INDEX activities_due ON activities (due_at, id);
CREATE INDEX activities_manager_due ON activities (manager_id, due_at, id);
