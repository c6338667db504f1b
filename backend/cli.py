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

from backend.config import Settings
from backend.db.engine import create_engine
from backend.db.migrate import ensure_current, upgrade
from backend.domain.vocabulary import ROLES

T = TypeVar("T")


def _with_sessions(work: Callable[[async_sessionmaker[AsyncSession]], Awaitable[T]]) -> T:
    async def run() -> T:
        engine = create_engine(Settings.from_env().database_url, pool_size=2)
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
    url = Settings.from_env().database_url
    upgrade(url)
    click.echo("database schema is current")


@main.command(help="Load the demo warehouses, items, stock and users into an empty database.")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has data.")
@click.option("--seed", default=20261127, show_default=True, type=int)
def demo(if_empty: bool, seed: int) -> None:
    from backend.service.demo import load_demo

    summary = _with_sessions(
        lambda s: load_demo(s, seed=seed, if_empty=if_empty, progress=click.echo)
    )
    if summary is None:
        click.echo("the database already has data; demo not loaded")
        return
    click.echo(json.dumps(summary, indent=2))


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


if __name__ == "__main__":
    main()
