"""User accounts: argon2 password hashes, sign-in and the actor a token stands for."""

from __future__ import annotations

from collections.abc import Iterable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import User, UserWarehouse, Warehouse
from backend.domain.actor import Actor
from backend.domain.errors import Conflict, InvalidRequest, NotFound

_hasher = PasswordHasher()
# Verifying against this when the user does not exist keeps sign-in time the same either way.
_DUMMY_HASH = _hasher.hash("stockhand-no-such-user")
MIN_PASSWORD_LENGTH = 8


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidRequest(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    return _hasher.hash(password)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


async def authenticate(session: AsyncSession, username: str, password: str) -> User | None:
    user = (await session.execute(select(User).where(User.username == username))).scalar()
    if user is None:
        _verify(_DUMMY_HASH, password)
        return None
    if not _verify(user.password_hash, password) or not user.active:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return user


async def warehouse_ids(session: AsyncSession, user_id: int) -> frozenset[int]:
    rows = await session.execute(
        select(UserWarehouse.warehouse_id).where(UserWarehouse.user_id == user_id)
    )
    return frozenset(rows.scalars())


async def load_actor(session: AsyncSession, user_id: int) -> Actor | None:
    user = await session.get(User, user_id)
    if user is None or not user.active:
        return None
    return Actor(user.id, user.username, user.role, await warehouse_ids(session, user.id))


async def set_warehouses(session: AsyncSession, user: User, ids: Iterable[int]) -> None:
    wanted = set(ids)
    known = set(
        (await session.execute(select(Warehouse.id).where(Warehouse.id.in_(wanted)))).scalars()
    )
    if missing := wanted - known:
        raise NotFound("no such warehouse", warehouse_ids=sorted(missing))
    await session.execute(delete(UserWarehouse).where(UserWarehouse.user_id == user.id))
    session.add_all(UserWarehouse(user_id=user.id, warehouse_id=w) for w in sorted(wanted))
    await session.flush()


async def create_user(
    session: AsyncSession,
    *,
    username: str,
    password: str,
    role: str,
    warehouses: Iterable[int] = (),
    display_name: str = "",
    locale: str = "en",
) -> User:
    if (await session.execute(select(User.id).where(User.username == username))).scalar():
        raise Conflict(f"user {username} already exists", username=username)
    user = User(
        username=username,
        password_hash=hash_password(password),
        role=role,
        display_name=display_name or username,
        locale=locale,
    )
    session.add(user)
    await session.flush()
    await set_warehouses(session, user, warehouses)
    return user
