"""Bearer tokens (Litestar's JWT support) and the sign-in endpoint."""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Controller, Request, get, post
from litestar.connection import ASGIConnection
from litestar.datastructures import State
from litestar.exceptions import NotAuthorizedException
from litestar.params import JSONBody
from litestar.security.jwt import JWTAuth, Token
from sqlalchemy.ext.asyncio import AsyncSession

from backend.api.deps import CurrentActor, Db
from backend.api.schemas import LoginRequest, LoginResponse, UserOut
from backend.config import Settings
from backend.db.models import User
from backend.domain.actor import Actor
from backend.service import login_throttle
from backend.service.users import authenticate, load_actor, warehouse_ids


async def retrieve_actor(
    token: Token, connection: ASGIConnection[Any, Any, Any, Any]
) -> Actor | None:
    try:
        user_id = int(token.sub)
    except ValueError:
        return None
    async with connection.app.state.sessions() as session:
        return await load_actor(session, user_id)


def build_jwt_auth(settings: Settings) -> JWTAuth[Actor, Token]:
    return JWTAuth[Actor, Token](
        retrieve_user_handler=retrieve_actor,
        token_secret=settings.secret_key,
        default_token_expiration=dt.timedelta(seconds=settings.token_ttl_seconds),
        exclude=["^/health$", "^/schema", "^/api/auth/login$"],
    )


async def user_out(session: AsyncSession, user: User) -> UserOut:
    return UserOut(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        locale=user.locale,
        active=user.active,
        warehouse_ids=sorted(await warehouse_ids(session, user.id)),
    )


class AuthController(Controller):
    path = "/api/auth"
    tags = ["auth"]

    @post("/login", status_code=200, summary="Sign in and receive a bearer token")
    async def login(
        self, data: JSONBody[LoginRequest], db: Db, state: State, request: Request[Any, Any, Any]
    ) -> LoginResponse:
        settings: Settings = state.settings
        jwt_auth: JWTAuth[Actor, Token] = state.jwt_auth
        limits = login_throttle.Limits(
            per_username=settings.login_max_failures,
            per_client=settings.login_max_failures_per_client,
            window=dt.timedelta(seconds=settings.login_window_seconds),
        )
        client = request.client.host if request.client else "unknown"
        async with db.begin():
            await login_throttle.check(db, data.username, client, limits)
            user = await authenticate(db, data.username, data.password)
            if user is None:
                # Recorded and committed before the refusal, so that it counts.
                await login_throttle.failed(db, data.username, client, limits)
            else:
                await login_throttle.succeeded(db, data.username)
                token = jwt_auth.create_token(
                    identifier=str(user.id), token_extras={"role": user.role}
                )
                body = await user_out(db, user)
        if user is None:
            raise NotAuthorizedException(
                "wrong username or password, or the account is deactivated"
            )
        return LoginResponse(
            access_token=token,
            token_type="bearer",
            expires_in=settings.token_ttl_seconds,
            user=body,
        )

    @get("/me", summary="The signed-in user")
    async def me(self, db: Db, actor: CurrentActor) -> UserOut:
        user = await db.get(User, actor.id)
        assert user is not None
        return await user_out(db, user)
