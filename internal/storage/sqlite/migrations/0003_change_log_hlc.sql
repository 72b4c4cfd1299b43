-- 0003_change_log_hlc: an index on the change log's HLC.
--
-- Opening and migrating a store reads the newest HLC (maxHLCQuery) so the
-- clock starts past every stored entry. Without this index that is a scan
-- of the whole change log, which grows with every write; with it, SQLite
-- reads max(hlc) from the last entry of the index.

CREATE INDEX change_log_hlc ON change_log (hlc);
