-- 017_fencing.sql — fencing tokens for the leader lease. Every acquisition of a lock by a new
-- holder increments its epoch (locks.epoch; on Redis the key <prefix>:lock:<name>:epoch), and
-- the holder stamps the writes it makes as leader with that epoch. A store that receives such a
-- write keeps the highest epoch it has seen per lock in fences and refuses a write that carries
-- a lower one, so a write a former leader sent before its lease ended cannot land after a newer
-- leader's first write (src/store/fence.h). Rows the previous release writes into locks get
-- epoch 0; it never writes fences.
ALTER TABLE locks ADD COLUMN epoch BIGINT NOT NULL DEFAULT 0;

CREATE TABLE fences (
    name TEXT PRIMARY KEY,
    epoch BIGINT NOT NULL
);
