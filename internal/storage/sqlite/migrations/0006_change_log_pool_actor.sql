-- 0006_change_log_pool_actor: the pool and the actor of each change-log
-- entry.
--
-- pool is the ID of the user pool the record belongs to (NULL for records
-- of no pool); actor is who made the change, as JSON (storage.Actor), NULL
-- when nobody did on a caller's behalf. Both are written in the same row
-- as the state, in the mutation's transaction. The index serves
-- PoolChanges, a pool's entries newest first. Entries written before this
-- migration keep NULL in both.

ALTER TABLE change_log ADD COLUMN pool TEXT;
ALTER TABLE change_log ADD COLUMN actor TEXT;
CREATE INDEX change_log_pool ON change_log (pool, seq);
