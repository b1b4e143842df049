"""Reading the ledger for people: queries behind status, sessions, timeline, stats and the report."""
