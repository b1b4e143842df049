"""`hookledger claims`: who holds which file, every claim, and the conflicts seen."""

from __future__ import annotations

import click

from hookledger.faces.commands.common import echo_rows, ledger_options, open_ledger, resolve


@click.command(name="claims")
@ledger_options
@click.option("--all", "show_all", is_flag=True, help="Every claim, not only the current holder of each file.")
@click.option("--conflicts", is_flag=True, help="Conflicts seen and how they were answered (v_claim_conflicts).")
@click.option("--file", "file_path", default=None, help="Only this file (as stored: relative to the project root).")
@click.option("--agent", "agent_id", default=None, help="Only this agent's claims (main:<session_id> for a main thread).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array instead of a table.")
def command(project: str | None, db_path: str | None, show_all: bool, conflicts: bool, file_path: str | None,
            agent_id: str | None, as_json: bool) -> None:
    """File claims. By default the holder of each file (v_file_owners: live = the holder is
    still running); --all lists every claim; --conflicts lists each time an agent wanted a file
    another live agent held, with the policy in force and the answer given."""
    from hookledger.knowledge.project_paths import normalise

    project_dir, db = resolve(project, db_path)
    ledger = open_ledger(db)
    if conflicts:
        sql, agent_col = ("SELECT timestamp, file_path, agent_id, agent_type, operation, holder_agent_id,"
                          " holder_agent_type, holder_task, policy, answer FROM v_claim_conflicts"), "agent_id"
        order = "id"
    elif show_all:
        sql, agent_col = ("SELECT c.timestamp, c.file_path, c.agent_id, a.agent_type, c.operation, c.status, c.phase,"
                          " c.released_at FROM file_claims c LEFT JOIN agent_registry a ON a.id = c.agent_id"), "c.agent_id"
        order = "c.id"
    else:
        sql, agent_col = ("SELECT file_path, holder_agent_id, holder_agent_type, holder_task, holder_status, live,"
                          " operation, claimed_at, released_at FROM v_file_owners"), "holder_agent_id"
        order = "file_path"
    where, params = [], []
    if file_path:
        where.append(("c." if show_all and not conflicts else "") + "file_path = ?")
        params.append(normalise(file_path, project_dir, None) or file_path)
    if agent_id:
        where.append(f"{agent_col} = ?")
        params.append(agent_id)
    sql += (" WHERE " + " AND ".join(where) if where else "") + f" ORDER BY {order}"
    echo_rows([dict(r) for r in ledger.query(sql, params)], as_json,
              "no conflicts recorded" if conflicts else "no claims recorded")
