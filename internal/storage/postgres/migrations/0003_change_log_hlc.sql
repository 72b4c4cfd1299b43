-- 0003_change_log_hlc: an index on the change log's HLC.
--
-- Opening and migrating a store reads the newest HLC (maxHLCQuery) so the
-- clock starts past every stored entry. Without this index that is a
-- sequential scan of the whole change log, which grows with every write;
-- with it, PostgreSQL reads max(hlc) from the end of the index (an Index
-- Only Scan Backward). Migrations run in a transaction, so the index is
-- built without CONCURRENTLY: writes to change_log wait while it builds,
-- once, during the upgrade's start-up.

CREATE INDEX change_log_hlc ON change_log (hlc);
