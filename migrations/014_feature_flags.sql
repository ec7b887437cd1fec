-- 014_feature_flags.sql — feature flags (src/services/flags.c): the state an operator set for a
-- flag declared in src/services/flags.def. A flag with no row here has its per-environment
-- default from flags.def. Every change is also a row of audit_log (action 'flag_changed').
-- state: off (nobody), on (everyone eligible), percent (eligible users whose bucket, a hash of
-- the flag name and user id, is under `percent`). roles: comma list of roles that are eligible
-- ('' = every role); users: comma list of user ids that get the flag whenever it is not off.
-- version grows by one on every change, so SUM(version) over the table changes with every write:
-- each process polls it to know when to reload.
CREATE TABLE feature_flags (
    name TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    percent INTEGER NOT NULL DEFAULT 0,
    roles TEXT NOT NULL DEFAULT '',
    users TEXT NOT NULL DEFAULT '',
    version BIGINT NOT NULL DEFAULT 1,
    updated_by BIGINT,
    updated_at BIGINT NOT NULL
);
