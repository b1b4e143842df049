"""hookledger: Claude Code hook dispatchers that record every event into SQLite.

This module must stay import-free: every hook process imports it.
"""

__version__ = "0.1.0"
