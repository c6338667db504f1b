"""The notification centre, zone sensors, and the alert settings."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, get, post, put
from litestar.datastructures import State
from litestar.params import FromPath, FromQuery, JSONBody

from backend.api.controllers.reorder import RowId
from backend.api.deps import CurrentActor, Db, Limit, Offset
from backend.api.guards import requires_admin, requires_supervisor
from backend.api.schemas import Input, Output
from backend.domain.errors import InvalidRequest
from backend.domain.vocabulary import AlertKind, SensorKind
from backend.service import alerts, alerts_expiry, alerts_inbox, alerts_sensors, policies
from backend.service.alerts_sensors import Range

# Wide enough for any warehouse climate; Numeric(10, 3) holds it.
Reading = Annotated[Decimal, msgspec.Meta(description="°C or %RH, at most 3 decimal places")]


def _check_reading(value: Decimal | None, field: str) -> None:
    if value is not None and not (
        value.is_finite() and -1000 <= value <= 1000 and value == value.quantize(Decimal("0.001"))
    ):
        raise InvalidRequest(f"{field} must be between -1000 and 1000, 3 decimal places at most")


class NotificationOut(Output):
    id: int
    kind: str
    status: str
    title: str
    body: str
    url: str
    warehouse_id: int
    warehouse_code: str
    item_id: int | None
    lot_id: int | None
    location_id: int | None
    count_id: int | None
    details: dict[str, Any]
    raised_at: dt.datetime
    resolved_at: dt.datetime | None
    resolution: dict[str, Any] | None
    read: bool
    read_at: dt.datetime | None


class NotificationPage(Output):
    items: list[NotificationOut]
    total: int
    unread: int
    limit: int
    offset: int


class Marked(Output):
    marked: int


class SensorReadingIn(Input):
    location_id: RowId
    kind: SensorKind
    value: Reading
    at: dt.datetime


class SensorReadingOut(Output):
    id: int
    location_id: int
    kind: str
    value: Decimal
    at: dt.datetime
    in_range: bool | None
    alert_id: int | None


class ThresholdIn(Input):
    kind: SensorKind
    min: Reading | None = None
    max: Reading | None = None


class Thresholds(Input):
    thresholds: Annotated[list[ThresholdIn], msgspec.Meta(max_length=2)]


class ThresholdsOut(Output):
    location_id: int
    thresholds: list[ThresholdIn]


class AlertPolicyBody(Input):
    near_expiry_days: Annotated[int, msgspec.Meta(ge=0, le=3650)]


def _notification_out(n: alerts_inbox.Notification) -> NotificationOut:
    a = n.alert
    return NotificationOut(
        id=a.id,
        kind=a.kind,
        status=a.status,
        title=a.title,
        body=a.body,
        url=a.url,
        warehouse_id=a.warehouse_id,
        warehouse_code=n.warehouse_code,
        item_id=a.item_id,
        lot_id=a.lot_id,
        location_id=a.location_id,
        count_id=a.count_id,
        details=a.details,
        raised_at=a.raised_at,
        resolved_at=a.resolved_at,
        resolution=a.resolution,
        read=n.read_at is not None,
        read_at=n.read_at,
    )


def _thresholds_out(location_id: int, ranges: list[Range]) -> ThresholdsOut:
    return ThresholdsOut(
        location_id=location_id,
        thresholds=[ThresholdIn(kind=r.kind, min=r.min_value, max=r.max_value) for r in ranges],  # type: ignore[arg-type]
    )


class NotificationController(Controller):
    path = "/api/notifications"
    tags = ["alerts"]

    @get(
        "/",
        summary="My notification centre: alerts of my warehouses, newest first, read or not",
        description="Supervisors and admins see every alert of their warehouses; workers "
        "the kinds they follow (PUT /api/push/preferences). `url` opens the subject in the "
        "PWA. Filter by status (open|resolved), kind, warehouse_id, unread.",
    )
    async def list_notifications(
        self,
        db: Db,
        actor: CurrentActor,
        limit: Limit = 50,
        offset: Offset = 0,
        status: FromQuery[Literal["open", "resolved"] | None] = None,
        kind: FromQuery[AlertKind | None] = None,
        warehouse_id: FromQuery[int | None] = None,
        unread: FromQuery[bool | None] = None,
    ) -> NotificationPage:
        filters = alerts_inbox.Filters(
            status=status, kind=kind, warehouse_id=warehouse_id, unread=unread
        )
        rows, total, unread_count = await alerts_inbox.page(
            db, actor, filters, limit=limit, offset=offset
        )
        return NotificationPage(
            items=[_notification_out(n) for n in rows],
            total=total,
            unread=unread_count,
            limit=limit,
            offset=offset,
        )

    @post("/{alert_id:int}/read", status_code=200, summary="Mark one notification read")
    async def read(self, db: Db, actor: CurrentActor, alert_id: FromPath[int]) -> Marked:
        async with db.begin():
            await alerts_inbox.mark_read(db, actor, alert_id)
        return Marked(marked=1)

    @post("/read-all", status_code=200, summary="Mark all my notifications read")
    async def read_all(self, db: Db, actor: CurrentActor) -> Marked:
        async with db.begin():
            marked = await alerts_inbox.mark_all_read(db, actor)
        return Marked(marked=marked)


@post(
    "/api/sensor-readings",
    tags=["alerts"],
    summary="Record a zone's temperature or humidity reading",
    description="A reading outside the zone's thresholds opens a sensor alert (once, until a "
    "reading is back in range, which resolves it). Readings older than the zone's latest of "
    "the same kind are kept but judge nothing.",
)
async def record_sensor_reading(
    db: Db, actor: CurrentActor, data: JSONBody[SensorReadingIn]
) -> SensorReadingOut:
    _check_reading(data.value, "value")
    async with db.begin():
        judged = await alerts_sensors.record_reading(
            db, actor, data.location_id, data.kind, data.value, data.at
        )
    r = judged.reading
    return SensorReadingOut(
        id=r.id,
        location_id=r.location_id,
        kind=r.kind,
        value=Decimal(r.value),
        at=r.at,
        in_range=judged.in_range,
        alert_id=judged.alert_id,
    )


@get(
    "/api/zones/{location_id:int}/sensor-thresholds",
    tags=["alerts"],
    summary="A zone's allowed temperature and humidity ranges",
)
async def get_sensor_thresholds(
    db: Db, actor: CurrentActor, location_id: FromPath[int]
) -> ThresholdsOut:
    return _thresholds_out(location_id, await alerts_sensors.thresholds(db, actor, location_id))


@put(
    "/api/zones/{location_id:int}/sensor-thresholds",
    tags=["alerts"],
    guards=[requires_supervisor],
    summary="Set a zone's allowed ranges (replaces them); its latest readings are judged anew",
)
async def set_sensor_thresholds(
    db: Db, actor: CurrentActor, location_id: FromPath[int], data: JSONBody[Thresholds]
) -> ThresholdsOut:
    for t in data.thresholds:
        _check_reading(t.min, "min")
        _check_reading(t.max, "max")
    ranges = [Range(t.kind, t.min, t.max) for t in data.thresholds]
    async with db.begin():
        saved = await alerts_sensors.set_thresholds(db, actor, location_id, ranges)
    return _thresholds_out(location_id, saved)


@get(
    "/api/settings/alerts",
    tags=["alerts"],
    guards=[requires_supervisor],
    summary="Alert settings: how many days ahead a lot's expiry raises a near-expiry alert",
)
async def get_alert_policy(db: Db) -> AlertPolicyBody:
    return AlertPolicyBody(near_expiry_days=(await policies.alert_policy(db)).near_expiry_days)


@put(
    "/api/settings/alerts",
    tags=["alerts"],
    guards=[requires_admin],
    summary="Set the alert settings (near-expiry window in days); lots are judged anew",
)
async def set_alert_policy(db: Db, data: JSONBody[AlertPolicyBody]) -> AlertPolicyBody:
    async with db.begin():
        await policies.set_alert_policy(
            db, policies.AlertPolicy(near_expiry_days=data.near_expiry_days)
        )
        # A new window opens and resolves near-expiry alerts at once.
        await alerts_expiry.sweep(db)
    return data


@post(
    "/api/alerts/scan",
    tags=["alerts"],
    guards=[requires_supervisor],
    status_code=200,
    summary="Check every alert condition now (expiry, counts, every reorder rule)",
    description="The same full check the server runs in the background every few minutes; "
    "stock commands are judged as they are applied and need no scan.",
)
async def scan_alerts(state: State) -> dict[str, str]:
    await alerts.sweep(state.sessions)
    return {"status": "scanned"}
