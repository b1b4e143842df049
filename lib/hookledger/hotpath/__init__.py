"""The hook process: what every hook run imports, stdlib only.

runtime (stdin -> ledger -> answer), payload, events, decisions, audit, spool, redact, config,
paths, timeutil, detached, process. Imports nothing of hookledger but itself and `store`.
"""
