-- 0005_change_log_entity_key: an index on the change log by record.
--
-- Deleting a record erases its earlier change-log entries in the same
-- transaction, and compaction looks for a later entry of the same record;
-- both find a record's entries through this index instead of scanning the
-- whole log.

CREATE INDEX change_log_entity_key ON change_log (entity, "key", seq);
