-- w004: what each hook run told Claude Code (the ledger's m013 hook_events.answer): a continuity
-- brief, an escalation, a conflict warning, a denial or a refused completion, redacted, exactly
-- as it went out. The sync copies every column the warehouse table has; ledgers from before
-- m013 simply send none.
ALTER TABLE hookledger.hook_events ADD COLUMN IF NOT EXISTS answer text;
