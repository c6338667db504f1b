"""The `stockhand` command line."""

from __future__ import annotations

import asyncio
import getpass
import json
import sys
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import click
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.config import database_url_from_env
from backend.db.engine import create_engine
from backend.db.migrate import ensure_current, upgrade
from backend.domain.vocabulary import ROLES
from backend.service.csv_import.formats import KINDS as CSV_KINDS
from backend.service.csv_import.reading import ENCODINGS as CSV_ENCODINGS

T = TypeVar("T")


def _with_sessions(work: Callable[[async_sessionmaker[AsyncSession]], Awaitable[T]]) -> T:
    async def run() -> T:
        engine = create_engine(database_url_from_env(), pool_size=2)
        try:
            await ensure_current(engine)
            return await work(async_sessionmaker(engine, expire_on_commit=False))
        finally:
            await engine.dispose()

    return asyncio.run(run())


@click.group(help="Stockhand: warehouse stock on the shop floor.")
def main() -> None:
    pass


@main.command(help="Serve the API and the PWA.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=int)
def serve(host: str, port: int, workers: int) -> None:
    import uvicorn

    uvicorn.run(
        "backend.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
    )


@main.command(help="Upgrade the database schema to this version's.")
def migrate() -> None:
    url = database_url_from_env()
    upgrade(url)
    click.echo("database schema is current")


@main.command(help="Load the demo warehouses, items, stock and users into an empty database.")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has data.")
@click.option("--seed", default=20261127, show_default=True, type=int)
@click.option(
    "--history/--no-history",
    default=True,
    show_default=True,
    help="Add a year of sales, shipments and purchases to MAIN through the ledger.",
)
def demo(if_empty: bool, seed: int, history: bool) -> None:
    from backend.service.demo import load_demo

    summary = _with_sessions(
        lambda s: load_demo(s, seed=seed, if_empty=if_empty, progress=click.echo, history=history)
    )
    if summary is None:
        click.echo("the database already has data; demo not loaded")
        return
    click.echo(json.dumps(summary, indent=2))


@main.command(help="Backtest the demand forecast on a warehouse's history against baselines.")
@click.option("--warehouse", "code", default="MAIN", show_default=True, help="Warehouse code.")
@click.option("--horizon", default=14, show_default=True, type=click.IntRange(1, 90))
@click.option("--folds", default=4, show_default=True, type=click.IntRange(1, 26))
@click.option("--days", default=365, show_default=True, type=click.IntRange(28, 1095))
def backtest(code: str, horizon: int, folds: int, days: int) -> None:
    import numpy as np
    from sqlalchemy import select

    from backend.bench.forecast import backtest as run_backtest
    from backend.bench.forecast import render, warehouse_series
    from backend.db.models import Warehouse

    async def work(sessions: async_sessionmaker[AsyncSession]) -> dict[str, np.ndarray]:
        async with sessions() as session:
            warehouse_id = (
                await session.execute(select(Warehouse.id).where(Warehouse.code == code))
            ).scalar()
            if warehouse_id is None:
                raise click.ClickException(f"no such warehouse: {code}")
            return await warehouse_series(session, warehouse_id, days=days)

    series = _with_sessions(work)
    if not series:
        raise click.ClickException(f"{code} has no shipments in the last {days} days")
    result = run_backtest(series, horizon=horizon, folds=folds)
    click.echo(render(result, f"{code}, last {days} days"))


@main.command("verify-ledger", help="Check the ledger's hash chain; exit status 0 only if intact.")
@click.option(
    "--seal/--no-seal",
    default=False,
    help="Seal pending moves before checking (only when the ledger is trusted).",
)
def verify_ledger_command(seal: bool) -> None:
    from backend.service.sealing import seal_pending, verify_ledger

    async def work(sessions: async_sessionmaker[AsyncSession]) -> dict[str, Any]:
        if seal:
            await seal_pending(sessions)
        async with sessions() as session:
            return (await verify_ledger(session)).as_dict()

    report = _with_sessions(work)
    click.echo(json.dumps(report, indent=2))
    sys.exit(0 if report["ok"] else 1)


@main.command("create-user", help="Create a user; the password is asked for, never echoed.")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--warehouse", "warehouses", multiple=True, help="Warehouse code (repeatable).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_user_command(
    username: str, role: str, warehouses: tuple[str, ...], password_stdin: bool
) -> None:
    from sqlalchemy import select

    from backend.db.models import Warehouse
    from backend.domain.errors import DomainError
    from backend.service.users import create_user

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("password: ")
        if getpass.getpass("again: ") != password:
            raise click.ClickException("the passwords differ")

    async def work(sessions: async_sessionmaker[AsyncSession]) -> int:
        async with sessions() as session, session.begin():
            found = dict(
                (
                    await session.execute(
                        select(Warehouse.code, Warehouse.id).where(Warehouse.code.in_(warehouses))
                    )
                )
                .tuples()
                .all()
            )
            if missing := set(warehouses) - found.keys():
                raise click.ClickException(f"no such warehouse: {', '.join(sorted(missing))}")
            user = await create_user(
                session, username=username, password=password, role=role, warehouses=found.values()
            )
            return user.id

    try:
        user_id = _with_sessions(work)
    except DomainError as error:
        raise click.ClickException(error.message) from error
    click.echo(f"created user {username} (id {user_id}, {role})")


@main.command("vapid-keys", help="Make the VAPID key pair that signs web push notifications.")
@click.option(
    "--force", is_flag=True, help="Replace an existing key (every device must subscribe again)."
)
@click.option(
    "--env",
    "as_env",
    is_flag=True,
    help="Print the keys as environment variables instead of writing the key file.",
)
def vapid_keys_command(force: bool, as_env: bool) -> None:
    import os

    from backend.config import vapid_key_file
    from backend.service import push_keys

    if as_env:
        vapid = push_keys.load(push_keys.generate_private_pem())
        click.echo(f"STOCKHAND_VAPID_PRIVATE_KEY={push_keys.private_raw(vapid)}")
        click.echo(f"# public key (applicationServerKey): {push_keys.public_key(vapid)}")
        return
    if os.environ.get("STOCKHAND_VAPID_PRIVATE_KEY"):
        raise click.ClickException(
            "STOCKHAND_VAPID_PRIVATE_KEY is set and takes precedence over the key file"
        )
    path = vapid_key_file()
    if path.exists() and not force:
        pem = path.read_text()
        click.echo(f"kept the existing key in {path} (use --force to replace it)")
    else:
        pem = push_keys.generate_private_pem()
        push_keys.write_private_pem(path, pem)
        click.echo(f"wrote a new private key to {path}")
    click.echo(f"public key (applicationServerKey): {push_keys.public_key(push_keys.load(pem))}")


class _CsvColumnsHelp(click.Command):
    """Lists every kind's columns after the options, unwrapped."""

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        from backend.service.csv_import.formats import describe_all

        formatter.write_paragraph()
        formatter.write(
            "Columns (the header row names them, in any case and order; a column left out\n"
            "keeps the stored value of existing rows, an empty cell means the default):\n"
        )
        formatter.write(describe_all() + "\n")


@main.command(
    "import",
    cls=_CsvColumnsHelp,
    help="Import a CSV file of KIND (FILE, or - for standard input), whole or not at all: "
    "every bad row is listed with its line, column and reason and nothing is written "
    "(exit status 1). Existing rows are updated by their key, new ones created; opening "
    "balances post through the ledger as one command. UTF-8 with or without BOM. "
    "Locations need a supervisor of their warehouse; everything else an admin.",
)
@click.argument("kind", type=click.Choice(CSV_KINDS))
@click.argument("file", type=click.File("rb"))
@click.option("--dry-run", is_flag=True, help="Check the whole file; write nothing.")
@click.option(
    "--encoding",
    type=click.Choice(CSV_ENCODINGS),
    default="utf-8",
    show_default=True,
    help="gbk reads a file saved by Chinese Excel (GBK/GB18030).",
)
@click.option("--as", "username", help="Import as this user (default: the first active admin).")
@click.option("--report", "report_path", help="Write every error to this CSV file as well.")
@click.option("--quiet", is_flag=True, help="No progress bars.")
def import_command(
    kind: str,
    file: Any,
    dry_run: bool,
    encoding: str,
    username: str | None,
    report_path: str | None,
    quiet: bool,
) -> None:
    from backend.domain.errors import DomainError
    from backend.service.csv_import.console import import_file, print_report
    from backend.service.csv_import.report import InvalidCsv

    data = file.read()
    try:
        summary = _with_sessions(
            lambda s: import_file(
                s,
                kind,
                data,
                name=getattr(file, "name", "-"),
                encoding=encoding,
                dry_run=dry_run,
                username=username,
                progress=not quiet,
            )
        )
    except InvalidCsv as error:
        print_report(error, report_path)
        sys.exit(1)
    except DomainError as error:
        raise click.ClickException(error.message) from error
    click.echo(json.dumps(summary, indent=2, ensure_ascii=False))


@main.command(
    "export",
    cls=_CsvColumnsHelp,
    help="Write KIND as CSV (UTF-8 with BOM) to standard output or --output, with the "
    "columns the import takes; opening_balances is the stock on hand as an opening balance.",
)
@click.argument("kind", type=click.Choice(CSV_KINDS))
@click.option("--warehouse", help="Only this warehouse (locations and opening balances).")
@click.option("--output", "-o", type=click.File("wb"), default="-", help="File to write.")
@click.option("--bom/--no-bom", default=True, show_default=True, help="Start with a UTF-8 BOM.")
@click.option("--as", "username", help="Export as this user (default: the first active admin).")
def export_command(
    kind: str, warehouse: str | None, output: Any, bom: bool, username: str | None
) -> None:
    from backend.domain.errors import DomainError
    from backend.service.csv_import.console import export_file

    try:
        _with_sessions(
            lambda s: export_file(s, kind, output, warehouse=warehouse, bom=bom, username=username)
        )
    except DomainError as error:
        raise click.ClickException(error.message) from error


if __name__ == "__main__":
    main()
