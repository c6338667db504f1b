"""The application factory: `create_app()` assembles the Litestar app from its parts."""

from __future__ import annotations

import os
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from pathlib import Path

from litestar import Litestar
from litestar.config.compression import CompressionConfig
from litestar.di import Provide
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin, SwaggerRenderPlugin
from litestar.static_files import create_static_files_router
from sqlalchemy.ext.asyncio import async_sessionmaker

from backend import __version__
from backend.api.auth import AuthController, build_jwt_auth
from backend.api.controllers.adjustments import (
    AdjustmentRequestController,
    decide_adjustment,
    get_adjustment_limits,
    set_adjustment_limits,
)
from backend.api.controllers.alerts import (
    NotificationController,
    get_alert_policy,
    get_sensor_thresholds,
    record_sensor_reading,
    scan_alerts,
    set_alert_policy,
    set_sensor_thresholds,
)
from backend.api.controllers.counts import CountController, get_count_policy, set_count_policy
from backend.api.controllers.csv import CsvController
from backend.api.controllers.expiry import near_expiry
from backend.api.controllers.insight import InsightController
from backend.api.controllers.integration import list_events
from backend.api.controllers.labels import LabelController
from backend.api.controllers.ledger import verify
from backend.api.controllers.masterdata import (
    ItemController,
    LocationController,
    LotController,
    WarehouseController,
)
from backend.api.controllers.operations import OperationsController
from backend.api.controllers.outbound import (
    PackageController,
    ShipmentController,
    create_pick_batch,
)
from backend.api.controllers.packing_station import PackingStationController
from backend.api.controllers.purchasing import (
    PurchaseOrderController,
    ReceiptController,
    SupplierController,
    get_limits,
    set_limits,
)
from backend.api.controllers.push import PushController
from backend.api.controllers.reorder import ReorderRuleController
from backend.api.controllers.replenishment import ReplenishmentController
from backend.api.controllers.sales import CustomerController, SalesOrderController
from backend.api.controllers.scans import decode_image, resolve_code
from backend.api.controllers.settings import (
    get_gs1_identity,
    get_scan_rules,
    set_gs1_identity,
    set_scan_rules,
)
from backend.api.controllers.stock import StockController
from backend.api.controllers.sync import get_snapshot
from backend.api.controllers.system import health
from backend.api.controllers.tasks import TaskController, claim, pick, put_away
from backend.api.controllers.transfers import TransferController
from backend.api.controllers.users import UserController, WorkerController
from backend.api.controllers.webhooks import WebhookController
from backend.api.deps import provide_actor, provide_db, provide_sessions, provide_settings
from backend.api.errors import EXCEPTION_HANDLERS
from backend.config import ROOT, Settings
from backend.db.engine import create_engine
from backend.db.migrate import ensure_current
from backend.logs import structlog_plugin
from backend.service.alerts import AlertSweeper
from backend.service.push_worker import PushWorker
from backend.service.sealer import Sealer
from backend.service.webhooks import WebhookWorker


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or Settings.from_env()
    jwt_auth = build_jwt_auth(settings)

    @asynccontextmanager
    async def database(app: Litestar) -> AsyncGenerator[None, None]:
        engine = create_engine(settings.database_url, pool_size=settings.db_pool_size)
        try:
            await ensure_current(engine)
            sessions = async_sessionmaker(engine, expire_on_commit=False)
            app.state.sessions = sessions
            app.state.sealer = Sealer(sessions, enabled=settings.seal_in_background)
            app.state.sealer.poke()
            # Web push delivery (woken by commits that queue pushes) and the periodic alert
            # check (expiry days passing, reservations); both stop before the engine goes.
            app.state.push_worker = PushWorker(sessions, settings)
            await app.state.push_worker.start()
            app.state.alert_sweeper = AlertSweeper(sessions, settings.alert_scan_seconds)
            app.state.alert_sweeper.start()
            app.state.webhook_worker = WebhookWorker(sessions, settings.webhook_poll_seconds)
            app.state.webhook_worker.start()
            yield
            await app.state.webhook_worker.stop()
            await app.state.alert_sweeper.stop()
            await app.state.push_worker.stop()
            await app.state.sealer.drain()
        finally:
            await engine.dispose()

    route_handlers: list[object] = [
        health,
        AuthController,
        UserController,
        WorkerController,
        WarehouseController,
        LocationController,
        ItemController,
        LotController,
        LabelController,
        resolve_code,
        decode_image,
        StockController,
        OperationsController,
        verify,
        SupplierController,
        PurchaseOrderController,
        ReceiptController,
        get_limits,
        set_limits,
        CustomerController,
        SalesOrderController,
        TaskController,
        claim,
        put_away,
        pick,
        get_scan_rules,
        set_scan_rules,
        get_gs1_identity,
        set_gs1_identity,
        PackageController,
        ShipmentController,
        PackingStationController,
        create_pick_batch,
        get_snapshot,
        InsightController,
        list_events,
        WebhookController,
        AdjustmentRequestController,
        decide_adjustment,
        get_adjustment_limits,
        set_adjustment_limits,
        TransferController,
        near_expiry,
        CountController,
        get_count_policy,
        set_count_policy,
        CsvController,
        ReorderRuleController,
        ReplenishmentController,
        NotificationController,
        record_sensor_reading,
        get_sensor_thresholds,
        set_sensor_thresholds,
        get_alert_policy,
        set_alert_policy,
        scan_alerts,
        PushController,
    ]
    static = Path(os.environ.get("STOCKHAND_STATIC_DIR", ROOT / "pwa" / "static"))
    if static.is_dir():
        route_handlers.append(
            create_static_files_router(
                path="/",
                directories=[static],
                html_mode=True,
                include_in_schema=False,
                opt={"exclude_from_auth": True},
                name="pwa",
            )
        )

    app = Litestar(
        route_handlers=route_handlers,  # type: ignore[arg-type]
        lifespan=[database],
        dependencies={
            "db": Provide(provide_db),
            "sessions": Provide(provide_sessions, sync_to_thread=False),
            "actor": Provide(provide_actor, sync_to_thread=False),
            "settings": Provide(provide_settings, sync_to_thread=False),
        },
        on_app_init=[jwt_auth.on_app_init],
        exception_handlers=EXCEPTION_HANDLERS,
        plugins=[structlog_plugin()],
        # Snapshots for tens of thousands of items shrink several-fold; small answers stay as-is.
        compression_config=CompressionConfig(backend="gzip", minimum_size=2048),
        openapi_config=OpenAPIConfig(
            title="Stockhand",
            version=__version__,
            description="Warehouse stock on the shop floor. Every stock change is a command "
            "with a client-made event_id; replays are answered with the first outcome.",
            path="/schema",
            render_plugins=[ScalarRenderPlugin(), SwaggerRenderPlugin(path="/swagger")],
        ),
        request_max_body_size=settings.max_body_bytes,
        state=None,
        debug=False,
    )
    app.state.settings = settings
    app.state.jwt_auth = jwt_auth
    return app
