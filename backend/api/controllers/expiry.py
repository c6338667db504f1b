"""The near-expiry list supervisors work from."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from litestar import get
from litestar.params import FromQuery, QueryParameter

from backend.api.deps import CurrentActor, Db
from backend.api.guards import requires_supervisor
from backend.api.schemas import NearExpiryLot, NearExpiryPlace, NearExpiryReport
from backend.service import expiry

Days = Annotated[int, QueryParameter(ge=0, le=3650)]


@get(
    "/api/lots/near-expiry",
    tags=["master data"],
    guards=[requires_supervisor],
    summary="Lots with stock in a warehouse that expire within N days or have expired, "
    "soonest first",
    description="Only real locations (bins and docks) count. `expired` marks lots past their "
    "expiry date, which allocation, picking and transfers already refuse.",
)
async def near_expiry(
    db: Db, actor: CurrentActor, warehouse_id: FromQuery[int], days: Days = 30
) -> NearExpiryReport:
    today = dt.date.today()
    lots = await expiry.near_expiry(db, actor, warehouse_id, days, today)
    return NearExpiryReport(
        warehouse_id=warehouse_id,
        days=days,
        as_of=today,
        lots=[
            NearExpiryLot(
                item_id=lot.item_id,
                sku=lot.sku,
                item_name=lot.item_name,
                lot_id=lot.lot_id,
                lot_number=lot.lot_number,
                expiry_date=lot.expiry_date,
                days_left=lot.days_left,
                expired=lot.expired,
                on_hand=lot.on_hand,
                reserved=lot.reserved,
                value=lot.value,
                locations=[
                    NearExpiryPlace(
                        location_id=p.location_id,
                        location_code=p.location_code,
                        on_hand=p.on_hand,
                        reserved=p.reserved,
                    )
                    for p in lot.places
                ],
            )
            for lot in lots
        ],
    )
