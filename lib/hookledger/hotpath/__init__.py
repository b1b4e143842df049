"""The hook process: what every hook run imports, stdlib only.

runtime (stdin -> ledger -> answer), payload, events, decisions, audit, spool, redact, config,
paths, timeutil, detached, process. Imports nothing of hookledger but itself and `store`.
"""

from hookledger.hotpath.redact import redact as _redact
from hookledger.store.conn import set_text_filter as _set_text_filter

# The choke point: every string any ledger connection binds is redacted (store/conn.py).
_set_text_filter(_redact)
