"""Zone sensors: temperature and humidity readings against each zone's thresholds.

A reading outside its zone's range opens a `sensor` alert for the zone and kind; the next
reading inside resolves it. A reading older than the latest one for its zone and kind is
recorded but judges nothing (a gateway catching up must not reopen what is fine now).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import Location, SensorReading, SensorThreshold, Warehouse, utcnow
from backend.domain.actor import Actor
from backend.domain.errors import InvalidRequest, NotFound
from backend.service.alerts_store import Draft, open_alert, resolve_alert

KIND = "sensor"
UNITS = {"temperature": "°C", "humidity": "%"}
# Readings sent with a clock this far ahead are refused.
CLOCK_SKEW = dt.timedelta(minutes=10)


@dataclass(frozen=True)
class Range:
    kind: str
    min_value: Decimal | None
    max_value: Decimal | None

    def holds(self, value: Decimal) -> bool:
        return (self.min_value is None or value >= self.min_value) and (
            self.max_value is None or value <= self.max_value
        )

    def describe(self) -> str:
        low = "" if self.min_value is None else f"{self.min_value}"
        high = "" if self.max_value is None else f"{self.max_value}"
        return f"{low}–{high} {UNITS[self.kind]}".strip()


@dataclass(frozen=True)
class Judged:
    reading: SensorReading
    in_range: bool | None  # None: no threshold for the kind, or an older reading
    alert_id: int | None


def subject(zone_id: int, kind: str) -> str:
    return f"zone:{zone_id}:{kind}"


async def zone_in_scope(session: AsyncSession, actor: Actor, location_id: int) -> Location:
    zone = await session.get(Location, location_id)
    if zone is None:
        raise NotFound("no such location", location_id=location_id)
    actor.require_warehouse(zone.warehouse_id)
    if zone.kind != "zone":
        raise InvalidRequest(
            f"{zone.code} is a {zone.kind}: sensors are read per zone", location_id=location_id
        )
    return zone


async def thresholds(session: AsyncSession, actor: Actor, location_id: int) -> list[Range]:
    await zone_in_scope(session, actor, location_id)
    rows = await session.execute(
        select(SensorThreshold)
        .where(SensorThreshold.location_id == location_id)
        .order_by(SensorThreshold.kind)
    )
    return [Range(t.kind, t.min_value, t.max_value) for t in rows.scalars()]


async def set_thresholds(
    session: AsyncSession, actor: Actor, location_id: int, ranges: Sequence[Range]
) -> list[Range]:
    """Replace the zone's thresholds and judge its latest readings against them."""
    zone = await zone_in_scope(session, actor, location_id)
    kinds = [r.kind for r in ranges]
    if len(set(kinds)) != len(kinds):
        raise InvalidRequest("one threshold per kind", kinds=kinds)
    for r in ranges:
        if r.min_value is None and r.max_value is None:
            raise InvalidRequest("a threshold needs a minimum, a maximum or both", kind=r.kind)
        if r.min_value is not None and r.max_value is not None and r.min_value > r.max_value:
            raise InvalidRequest("the minimum is above the maximum", kind=r.kind)
    await session.execute(delete(SensorThreshold).where(SensorThreshold.location_id == zone.id))
    session.add_all(
        SensorThreshold(
            location_id=zone.id,
            kind=r.kind,
            min_value=r.min_value,
            max_value=r.max_value,
            updated_by=actor.id,
        )
        for r in ranges
    )
    await session.flush()
    for kind in UNITS:
        latest = (
            await session.execute(
                select(SensorReading)
                .where(SensorReading.location_id == zone.id, SensorReading.kind == kind)
                .order_by(SensorReading.at.desc(), SensorReading.id.desc())
                .limit(1)
            )
        ).scalar_one_or_none()
        if latest is not None:
            await _judge(session, zone, latest)
        else:
            await _resolve(session, zone, kind, None)
    return sorted(ranges, key=lambda r: r.kind)


async def record_reading(
    session: AsyncSession,
    actor: Actor,
    location_id: int,
    kind: str,
    value: Decimal,
    at: dt.datetime,
) -> Judged:
    zone = await zone_in_scope(session, actor, location_id)
    if at.tzinfo is None:
        raise InvalidRequest("at needs a time zone offset", at=at.isoformat())
    if at > utcnow() + CLOCK_SKEW:
        raise InvalidRequest("at is in the future; check the sensor's clock", at=at.isoformat())
    latest = await session.scalar(
        select(func.max(SensorReading.at)).where(
            SensorReading.location_id == zone.id, SensorReading.kind == kind
        )
    )
    reading = SensorReading(
        location_id=zone.id, kind=kind, value=value, at=at, recorded_by=actor.id
    )
    session.add(reading)
    await session.flush()
    if latest is not None and at < latest:
        return Judged(reading, None, None)
    in_range, alert_id = await _judge(session, zone, reading)
    return Judged(reading, in_range, alert_id)


async def _judge(
    session: AsyncSession, zone: Location, reading: SensorReading
) -> tuple[bool | None, int | None]:
    threshold = await session.get(SensorThreshold, (zone.id, reading.kind))
    if threshold is None:
        await _resolve(session, zone, reading.kind, None)
        return None, None
    bounds = Range(threshold.kind, threshold.min_value, threshold.max_value)
    value = Decimal(reading.value)
    if bounds.holds(value):
        await _resolve(session, zone, reading.kind, reading)
        return True, None
    code = await session.scalar(select(Warehouse.code).where(Warehouse.id == zone.warehouse_id))
    unit = UNITS[reading.kind]
    alert_id = await open_alert(
        session,
        Draft(
            kind=KIND,
            warehouse_id=zone.warehouse_id,
            subject=subject(zone.id, reading.kind),
            title=f"{reading.kind.capitalize()} out of range in {zone.code} ({code})",
            body=f"{value} {unit} at {reading.at.isoformat(timespec='minutes')}; "
            f"allowed {bounds.describe()}.",
            url=f"/#/locations/{zone.id}",
            details={
                "zone": {"id": zone.id, "code": zone.code},
                "reading": {
                    "kind": reading.kind,
                    "value": str(value),
                    "unit": unit,
                    "at": reading.at.isoformat(),
                    "min": None if bounds.min_value is None else str(bounds.min_value),
                    "max": None if bounds.max_value is None else str(bounds.max_value),
                },
            },
            location_id=zone.id,
        ),
    )
    return False, alert_id


async def _resolve(
    session: AsyncSession, zone: Location, kind: str, reading: SensorReading | None
) -> None:
    resolution: dict[str, object] = {"reason": "no threshold for this kind"}
    if reading is not None:
        resolution = {
            "reason": "back in range",
            "value": str(reading.value),
            "at": reading.at.isoformat(),
        }
    await resolve_alert(session, KIND, zone.warehouse_id, subject(zone.id, kind), resolution)
