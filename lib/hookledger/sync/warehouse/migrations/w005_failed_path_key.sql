-- w005: failed_paths.approach_key, the ledger column m011 added (the approach as compared for
-- "the same approach": lower case, spacing collapsed), so the warehouse keeps every column.
ALTER TABLE hookledger.failed_paths ADD COLUMN approach_key text;
