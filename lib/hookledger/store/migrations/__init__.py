"""Numbered schema migrations, `mNNN_name.py`, each with `migrate(db)`.

Never edit a migration once it has shipped: add the next number instead. Each runs inside
the single upgrade transaction opened by `store.migrate`.
"""
