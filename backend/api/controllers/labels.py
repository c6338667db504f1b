"""Printable labels for locations and items: a PDF for any printer (`format=pdf`, the default)
or ZPL II for Zebra printers (`format=zpl`).

Packing builds the package label with `backend.labels.sscc_label` and answers with
`sscc_label_response`; `LABEL_ROUTE` gives its route the same OpenAPI description:

    @get("/{package_id:int}/label", **LABEL_ROUTE)
    async def label(..., format: LabelFormatQuery = "pdf") -> Response[bytes]:
        return await sscc_label_response(sscc_label(...), format)
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Annotated, Any, Literal

import anyio
from litestar import Controller, Response, get
from litestar.datastructures import ResponseHeader
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import (
    OpenAPIFormat,
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Operation,
    Schema,
)
from litestar.params import FromPath, FromQuery, QueryParameter
from sqlalchemy import select
from sqlalchemy.orm import aliased

from backend.api.deps import CurrentActor, Db
from backend.api.schemas import ErrorBody
from backend.db.models import Item, ItemBarcode, Location, Warehouse
from backend.domain.errors import InvalidRequest, NotFound
from backend.domain.vocabulary import LocationKind
from backend.labels import Label, item_label, location_label, render_pdf, render_zpl
from backend.labels.content import MAX_COUNT, gtin14
from backend.service import catalog, queries, tracking
from scanner import gs1

LabelFormat = Literal["pdf", "zpl"]
LabelFormatQuery = Annotated[
    LabelFormat,
    QueryParameter(description="`pdf` (one label per page) or `zpl` (ZPL II, 203 dpi)"),
]
MAX_LABELS = 2000
PDF = "application/pdf"
ZPL = "text/plain"  # Litestar adds "; charset=utf-8"
# Rendering is CPU-bound: at most two label jobs at once, off the event loop.
_RENDERERS = anyio.CapacityLimiter(2)


@dataclass
class LabelOperation(Operation):
    """The OpenAPI operation of a label route: its 200 answer is a PDF or ZPL text."""

    def __post_init__(self) -> None:
        ok = (self.responses or {}).get("200")
        if isinstance(ok, OpenAPIResponse):
            ok.content = {
                PDF: OpenAPIMediaType(
                    schema=Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY)
                ),
                "text/plain": OpenAPIMediaType(
                    schema=Schema(
                        type=OpenAPIType.STRING,
                        description="ZPL II: one ^XA…^XZ format per label",
                    )
                ),
            }


def _error(description: str) -> ResponseSpec:
    return ResponseSpec(ErrorBody, description=description, generate_examples=False)


LABEL_ROUTE: dict[str, Any] = {
    "media_type": PDF,
    "operation_class": LabelOperation,
    "response_description": "The labels: a PDF with one page per label, or ZPL II text",
    "response_headers": [
        ResponseHeader(
            name="Content-Disposition",
            description="The file name: location-<code>, locations-<warehouse>-<zone>, "
            "item-<sku>-<lot> or sscc-<sscc>, .pdf (inline) or .zpl (attachment)",
            value='inline; filename="location-A-01.pdf"',
            documentation_only=True,
        )
    ],
    "responses": {
        403: _error("The location or warehouse is outside the user's warehouses"),
        404: _error("No such location, item or lot, or no location to print"),
        422: _error(
            "The data cannot be printed: a wrong GTIN or SSCC check digit, a lot a GS1 "
            "barcode cannot carry, too many labels"
        ),
        503: _error("The server lacks a font for some of the text"),
    },
}


def _filename(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._")[:100] or "labels"


async def label_response(
    labels: Sequence[Label], format: LabelFormat, name: str
) -> Response[bytes]:
    """Render labels in a worker thread and answer with the file, named `name`.pdf/.zpl."""
    if format == "zpl":
        text = await anyio.to_thread.run_sync(partial(render_zpl, labels), limiter=_RENDERERS)
        body, media_type, disposition = text.encode(), ZPL, "attachment"
    else:
        render = partial(render_pdf, labels, title=name)
        body = await anyio.to_thread.run_sync(render, limiter=_RENDERERS)
        media_type, disposition = PDF, "inline"
    filename = f"{_filename(name)}.{format}"
    return Response(
        body,
        media_type=media_type,
        headers={"Content-Disposition": f'{disposition}; filename="{filename}"'},
    )


async def sscc_label_response(
    label: Label, format: LabelFormat = "pdf", name: str | None = None
) -> Response[bytes]:
    """The answer for a package's shipping label (see `backend.labels.sscc_label`)."""
    if name is None:
        name = f"sscc-{label.symbols[0].elements[0].raw}" if label.symbols else "sscc"
    return await label_response([label], format, name)


def _is_gtin(code: str) -> bool:
    return code.isdigit() and len(code) in (8, 12, 13, 14) and gs1.is_valid_key(code)


def _codes_to_print(
    sku: str, barcodes: Sequence[ItemBarcode], requested: str | None
) -> tuple[str | None, str | None]:
    """The GTIN for the label, or else the item's own barcode for a Code 128.

    A requested GTIN must be valid and one of the item's barcodes; by default the GTIN of the
    smallest packaging (the unit) is used."""
    if requested is not None:
        wanted = gtin14(requested)
        if not any(b.code.isdigit() and b.code.zfill(14) == wanted for b in barcodes):
            raise InvalidRequest(
                f"GTIN {requested} is not an active barcode of item {sku}", field="gtin"
            )
        return requested, None
    gtins = sorted((b for b in barcodes if _is_gtin(b.code)), key=lambda b: (b.quantity, b.id))
    if gtins:
        return gtins[0].code, None
    return None, barcodes[0].code if barcodes else None


class LabelController(Controller):
    path = "/api/labels"
    tags = ["labels"]

    @get(
        "/locations/{location_id:int}",
        summary="The label of one location: its code, Code 128 and QR code of its barcode",
        **LABEL_ROUTE,
    )
    async def location(
        self,
        db: Db,
        actor: CurrentActor,
        location_id: FromPath[int],
        format: LabelFormatQuery = "pdf",
    ) -> Response[bytes]:
        location = await catalog.location_in_scope(db, location_id, actor)
        warehouse = await catalog.get_or_404(db, Warehouse, location.warehouse_id, "warehouse")
        zone = await db.get(Location, location.parent_id) if location.parent_id else None
        label = location_label(
            location.code,
            location.barcode,
            warehouse.code,
            zone.code if zone else None,
            name=location.name,
        )
        return await label_response([label], format, f"location-{location.code}")

    @get(
        "/locations",
        summary="Labels of many locations, one per page (e.g. every bin of a zone)",
        description="Active locations with a barcode in the user's warehouses, in walking "
        f"order; `kind` defaults to `bin`. At most {MAX_LABELS} labels per request (422 "
        "beyond); 404 when no location matches.",
        **LABEL_ROUTE,
    )
    async def locations(
        self,
        db: Db,
        actor: CurrentActor,
        warehouse_id: FromQuery[int | None] = None,
        zone_id: FromQuery[int | None] = None,
        kind: FromQuery[LocationKind] = "bin",
        format: LabelFormatQuery = "pdf",
    ) -> Response[bytes]:
        name = ["locations"]
        if warehouse_id is not None:
            name.append((await catalog.warehouse_in_scope(db, warehouse_id, actor)).code)
        if zone_id is not None:
            zone = await catalog.location_in_scope(db, zone_id, actor)
            if zone.kind != "zone":
                raise InvalidRequest(f"location {zone.code} is not a zone", zone_id=zone_id)
            name.append(zone.code)
        parent = aliased(Location)
        query = (
            select(Location, Warehouse.code, parent.code)
            .join(Warehouse, Warehouse.id == Location.warehouse_id)
            .outerjoin(parent, parent.id == Location.parent_id)
            .where(Location.barcode.is_not(None), Location.active.is_(True))
            .order_by(Location.warehouse_id, Location.pick_sequence, Location.code)
            .limit(MAX_LABELS + 1)
        )
        query = queries.scoped(query, Location.warehouse_id, actor)
        query = queries.matching(
            query,
            (Location.warehouse_id, warehouse_id),
            (Location.parent_id, zone_id),
            (Location.kind, kind),
        )
        rows = (await db.execute(query)).all()
        if not rows:
            raise NotFound(
                "no active location with a barcode matches",
                warehouse_id=warehouse_id,
                zone_id=zone_id,
                kind=kind,
            )
        if len(rows) > MAX_LABELS:
            raise InvalidRequest(
                f"more than {MAX_LABELS} locations match; choose a zone or kind",
                limit=MAX_LABELS,
            )
        labels = [
            location_label(loc.code, loc.barcode, warehouse, zone, name=loc.name)
            for loc, warehouse, zone in rows
        ]
        return await label_response(labels, format, "-".join(name))

    @get(
        "/items/{item_id:int}",
        summary="An item label: GTIN as EAN-13 or GS1-128; with a lot, GS1-128 and GS1 "
        "DataMatrix with GTIN, expiry, lot and count",
        description="`lot_number` names one of the item's lots; its expiry date is printed "
        "as AI (17). `quantity` is printed as the count AI (30). `gtin` picks one of the "
        "item's barcodes (default: the GTIN of the smallest packaging). Without a GTIN the "
        "item's barcode (else its SKU) is printed as Code 128.",
        **LABEL_ROUTE,
    )
    async def item(
        self,
        db: Db,
        item_id: FromPath[int],
        lot_number: FromQuery[str | None] = None,
        quantity: Annotated[int | None, QueryParameter(ge=1, le=MAX_COUNT)] = None,
        gtin: FromQuery[str | None] = None,
        format: LabelFormatQuery = "pdf",
    ) -> Response[bytes]:
        item = await catalog.get_or_404(db, Item, item_id, "item")
        lot = await tracking.find_lot(db, item.id, lot_number) if lot_number is not None else None
        barcodes = [b for b in (await catalog.barcodes_of(db, [item.id]))[item.id] if b.active]
        code, own = _codes_to_print(item.sku, barcodes, gtin)
        label = item_label(
            item.sku,
            item.name,
            code,
            lot.lot_number if lot else None,
            lot.expiry_date if lot else None,
            quantity,
            barcode=own,
        )
        name = f"item-{item.sku}" + (f"-{lot.lot_number}" if lot else "")
        return await label_response([label], format, name)
