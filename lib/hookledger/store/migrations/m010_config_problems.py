"""m010: configuration problems the hooks found, one row per session and problem.

A hook that finds `.claude/hookledger.json` invalid (a value out of its documented range, a
file that is not JSON) falls back to defaults and says so on stderr once per session: the
first run of a session that meets a problem inserts its row and prints; later runs find it.
"""


def migrate(db) -> None:
    db.execute(
        "CREATE TABLE IF NOT EXISTS config_problems ("
        " session_id TEXT NOT NULL,"
        " problem TEXT NOT NULL,"
        " first_seen TEXT NOT NULL,"
        " PRIMARY KEY (session_id, problem))"
    )
