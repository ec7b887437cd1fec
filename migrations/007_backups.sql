-- 007_backups.sql — the record of every backup, prune and verified restore (src/services/backup.c),
-- so that the api and the worker both report the aps_backup_* and aps_dr_* metrics from the
-- store rather than from one process's memory.
-- kind: postgres (a pgBackRest full backup), sqlite (an online-backup copy of the embedded
-- store), restore_postgres / restore_sqlite (a restore that passed its verification);
-- ok: 1 on success, 0 on failure (error holds the one-line reason).
CREATE TABLE backups (
    id @ID@,
    kind TEXT NOT NULL,
    label TEXT NOT NULL,                  -- pgBackRest label, or the copy's file name
    started_at BIGINT NOT NULL,           -- seconds since the epoch
    finished_at BIGINT NOT NULL,
    size_bytes BIGINT NOT NULL DEFAULT 0,
    ok INTEGER NOT NULL,
    error TEXT
);
CREATE INDEX backups_kind_finished ON backups (kind, finished_at);
