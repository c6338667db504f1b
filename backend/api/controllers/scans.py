"""Scans: resolving a typed or wedge-scanned code, and decoding camera frames on the server."""

from __future__ import annotations

import time
from functools import partial
from typing import Any

import anyio
from litestar import Request, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath, FromQuery

import scanner
from backend.api.controllers.convert import item_out, location_out, lot_out
from backend.api.deps import CurrentActor, Db
from backend.api.schemas import (
    DecodedSymbol,
    DecodeResponse,
    Gs1ElementOut,
    ImageOut,
    ScanResolution,
)
from backend.domain.actor import Actor
from backend.domain.errors import DomainError, NotFound
from backend.service import catalog
from backend.service.scans import Resolution, parse_if_gs1, resolve

MAX_IMAGE_BYTES = 15 * 1024 * 1024
MAX_PIXELS = 20_000_000
# Multipart framing around a 15 MB file.
MULTIPART_OVERHEAD = 64 * 1024
# Decoding is CPU-bound: at most two frames at once, so a burst of frames queues instead of
# starving the event loop's other work.
_DECODERS = anyio.CapacityLimiter(2)
_OPTIONS = scanner.DecodeOptions(max_pixels=MAX_PIXELS)


class ScanError(DomainError):
    """An image or code refused before or while decoding, with its own status and code."""

    def __init__(self, status_code: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.code = code


async def _out(db: Db, resolution: Resolution) -> ScanResolution:
    item = None
    if resolution.item is not None:
        codes = await catalog.barcodes_of(db, [resolution.item.id])
        item = item_out(resolution.item, codes[resolution.item.id])
    return ScanResolution(
        code=resolution.code,
        kind=resolution.kind,
        item=item,
        quantity=resolution.quantity,
        packaging=resolution.packaging,
        location=location_out(resolution.location) if resolution.location else None,
        lot=lot_out(resolution.lot) if resolution.lot else None,
        lot_number=resolution.lot_number,
        expiry_date=resolution.expiry_date,
        serial=resolution.serial,
        sscc=resolution.sscc,
        gs1=[
            Gs1ElementOut(ai=e.ai, title=e.title, raw=e.raw, value=str(e.value))
            for e in resolution.gs1
        ]
        if resolution.gs1
        else None,
        gs1_error=resolution.gs1_error,
    )


@get(
    "/api/scan/resolve/{code:str}",
    tags=["scanning"],
    summary="What a typed or wedge-scanned code names (item, lot and expiry, or location)",
)
async def resolve_code(db: Db, actor: CurrentActor, code: FromPath[str]) -> ScanResolution:
    elements, error = parse_if_gs1(code)
    if error is not None:
        raise ScanError(422, "gs1_invalid", error)
    resolution = await resolve(db, actor, code, elements)
    if resolution.kind == "unknown" and not elements:
        raise NotFound("this code is not an item or location barcode here", code=code)
    return await _out(db, resolution)


async def _image_bytes(request: Request[Actor, Any, Any]) -> bytes:
    if request.content_type[0] == "multipart/form-data":
        form = await request.form()
        uploads = [v for v in form.values() if isinstance(v, UploadFile)]
        if not uploads:
            raise ScanError(
                415, "not_an_image", "the form holds no file; send the image as a file field"
            )
        return await uploads[0].read()
    return await request.body()


def _probe(data: bytes) -> scanner.ImageInfo:
    if not data:
        raise ScanError(
            415,
            "not_an_image",
            "the request has no image; send a JPEG, PNG or "
            "WebP image as the body or as a multipart file",
        )
    if len(data) > MAX_IMAGE_BYTES:
        raise ScanError(413, "image_too_large", f"images are limited to {MAX_IMAGE_BYTES} bytes")
    try:
        info = scanner.probe(data)
    except scanner.UnsupportedImage as error:
        raise ScanError(415, "not_an_image", str(error)) from error
    except scanner.BrokenImage as error:
        raise ScanError(422, "broken_image", str(error)) from error
    if info.pixels > MAX_PIXELS:
        raise ScanError(
            413,
            "image_too_large",
            f"{info.width}x{info.height} exceeds the limit of {MAX_PIXELS} pixels",
        )
    return info


@post(
    "/api/scan/decode",
    tags=["scanning"],
    status_code=200,
    request_max_body_size=MAX_IMAGE_BYTES + MULTIPART_OVERHEAD,
    summary="Decode the barcodes in a camera frame (JPEG, PNG or WebP, body or multipart)",
    description="Size and format are checked from the image header before any pixel is "
    "decoded: 413 above 15 MB or 20 megapixels, 415 for what is not an image, 422 for a "
    "broken one. `formats` restricts to a comma-separated list of format names; `all` "
    "returns every code in the frame instead of the first one read.",
)
async def decode_image(
    request: Request[Actor, Any, Any],
    db: Db,
    actor: CurrentActor,
    formats: FromQuery[str | None] = None,
    all: FromQuery[bool] = False,
) -> DecodeResponse:
    data = await _image_bytes(request)
    info = _probe(data)
    wanted = [f.strip() for f in formats.split(",") if f.strip()] if formats else None
    started = time.perf_counter()
    try:
        options = _OPTIONS.but(formats=wanted, all_symbols=all)
        symbols = await anyio.to_thread.run_sync(
            partial(scanner.decode, data, options=options), limiter=_DECODERS
        )
    except scanner.InvalidOptions as error:
        raise ScanError(400, "invalid_formats", str(error)) from error
    except scanner.ImageTooLarge as error:
        raise ScanError(413, "image_too_large", str(error)) from error
    except (scanner.BrokenImage, scanner.UnsupportedImage) as error:
        raise ScanError(422, "broken_image", str(error)) from error
    elapsed = (time.perf_counter() - started) * 1000
    decoded = []
    for symbol in symbols:
        resolution = await resolve(db, actor, symbol.text, symbol.gs1, symbol.gs1_error)
        decoded.append(
            DecodedSymbol(
                format=symbol.format,
                text=symbol.text,
                corners=[list(point) for point in symbol.corners],
                engine=symbol.engine,
                symbology_id=symbol.symbology_id,
                resolution=await _out(db, resolution),
            )
        )
    return DecodeResponse(
        symbols=decoded,
        decode_ms=round(elapsed, 2),
        image=ImageOut(format=info.format, width=info.width, height=info.height),
    )
