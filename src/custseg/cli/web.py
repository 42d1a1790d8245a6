"""Commands of the web app: serve it, manage its accounts, read the audit log."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.table import Table

from custseg.cli._app import ProjectOpt, app, console, err, handle_errors
from custseg.errors import CustsegError
from custseg.pipeline import Project

Role = Literal["admin", "analyst", "operator", "viewer"]
LOOPBACK = ("127.0.0.1", "localhost", "::1")


@app.command()
@handle_errors
def serve(
    project_dir: ProjectOpt = Path("."),
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8000,
) -> None:
    """Run the web dashboard and REST API. The server owns the project database while it
    runs: other commands that write to it stop with a message until it ends."""
    import uvicorn

    from custseg.web import create_app

    application = create_app(project_dir)
    if host not in LOOPBACK:
        err.print("[yellow]![/] listening beyond this machine: put the server behind HTTPS "
                  "(a reverse proxy), or sessions and passwords travel in clear",
                  highlight=False)
    console.print(f"custseg: http://{host}:{port}/  (API schema: /api/openapi.json; "
                  "Ctrl+C stops)", highlight=False)
    uvicorn.run(application, host=host, port=port, log_level="warning")


users_app = typer.Typer(help="Accounts of the web app: add, list, change, remove.",
                        no_args_is_help=True)
app.add_typer(users_app, name="users")


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise CustsegError("--password-stdin: no password on standard input")
        return password
    return typer.prompt("Password", hide_input=True, confirmation_prompt=True)


@users_app.command("add")
@handle_errors
def users_add(
    name: Annotated[str, typer.Argument(help="User name (letters, digits, _ . @ -).")],
    role: Annotated[Role, typer.Option(help="admin manages users and settings; analyst runs "
                                       "pipelines and sees personal data; operator records "
                                       "actions and sees masked data; viewer reads masked "
                                       "results.")],
    password_stdin: Annotated[bool, typer.Option(
        "--password-stdin", help="Read the password from the first line of standard input "
        "(default: prompt).")] = False,
    project_dir: ProjectOpt = Path("."),
) -> None:
    """Add an account; the password is stored only as an argon2 hash."""
    from custseg.io import accounts

    password = _read_password(password_stdin)
    with Project.open(project_dir) as project:
        accounts.add_user(project.connect().con, name, role, password)
    console.print(f"added {name} ({role})", highlight=False)


@users_app.command("list")
@handle_errors
def users_list(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    project_dir: ProjectOpt = Path("."),
) -> None:
    """Every account with its role."""
    from custseg.io import accounts

    with Project.open(project_dir) as project:
        rows = accounts.list_users(project.connect().con)
    if as_json:
        console.print_json(json.dumps(rows, default=str))
        return
    table = Table("user", "role", "created", "disabled")
    for r in rows:
        table.add_row(r["username"], r["role"], f"{r['created_at']:%Y-%m-%d %H:%M}",
                      "yes" if r["disabled"] else "")
    console.print(table)


@users_app.command("set")
@handle_errors
def users_set(
    name: Annotated[str, typer.Argument(help="User name.")],
    role: Annotated[Role | None, typer.Option(help="New role.")] = None,
    password_stdin: Annotated[bool, typer.Option(
        "--password-stdin", help="Read a new password from standard input.")] = False,
    disable: Annotated[bool | None, typer.Option(
        "--disable/--enable", help="Block or allow sign-in.", show_default=False)] = None,
    project_dir: ProjectOpt = Path("."),
) -> None:
    """Change an account's role, password or state; its sessions end."""
    from custseg.io import accounts

    password = _read_password(True) if password_stdin else None
    with Project.open(project_dir) as project:
        accounts.update_user(project.connect().con, name, role=role, password=password,
                             disabled=disable)
    console.print(f"changed {name}", highlight=False)


@users_app.command("remove")
@handle_errors
def users_remove(name: Annotated[str, typer.Argument(help="User name.")],
                 project_dir: ProjectOpt = Path(".")) -> None:
    """Delete an account and end its sessions."""
    from custseg.io import accounts

    with Project.open(project_dir) as project:
        accounts.remove_user(project.connect().con, name)
    console.print(f"removed {name}", highlight=False)


@app.command()
@handle_errors
def audit(
    user: Annotated[str | None, typer.Option(help="Only this user's entries.")] = None,
    action: Annotated[str | None, typer.Option(
        help="Only this action: view_personal, export, erase, user_add, user_change, "
        "user_remove.")] = None,
    limit: Annotated[int, typer.Option(help="Newest entries to show.", min=1)] = 100,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    project_dir: ProjectOpt = Path("."),
) -> None:
    """The audit log: who saw personal data in clear, exported or erased, and when."""
    from custseg.io import audit as audit_log

    with Project.open(project_dir) as project:
        rows = audit_log.entries(project.connect(), user=user, action=action, limit=limit)
    if as_json:
        console.print_json(json.dumps(rows, default=str, ensure_ascii=False))
        return
    table = Table("when", "user", "action", "target", "detail")
    for r in rows:
        table.add_row(f"{r['logged_at']:%Y-%m-%d %H:%M:%S}", r["user_name"] or "",
                      r["action"] or "", r["target"] or "", r["detail"] or "")
    console.print(table)
