"""CSV upload and download of master data and opening balances (`backend.service.csv_import`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, get, post
from litestar.datastructures import ResponseHeader, UploadFile
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import (
    OpenAPIFormat,
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Operation,
    RequestBody,
    Schema,
)
from litestar.params import PathParameter, QueryParameter
from litestar.response import Stream

from backend.api.deps import CurrentActor, Db, Sessions
from backend.api.guards import requires_supervisor
from backend.api.schemas import ErrorBody, Output
from backend.domain.actor import Actor
from backend.service.csv_import.exporting import export_csv, prepare_export
from backend.service.csv_import.formats import describe_all
from backend.service.csv_import.report import MAX_REPORTED, file_error
from backend.service.csv_import.run import check_kind, import_csv

Kind = Literal["items", "barcodes", "locations", "suppliers", "customers", "opening_balances"]
ExportFile = Literal[
    "items.csv",
    "barcodes.csv",
    "locations.csv",
    "suppliers.csv",
    "customers.csv",
    "opening_balances.csv",
]
# A catalogue of 100,000 items with Chinese names is about 10 MB; leave room for multipart.
MAX_UPLOAD_BYTES = 64 * 1024 * 1024
CSV = "text/csv"

COLUMNS = describe_all(markdown=True)
IMPORT_DESCRIPTION = f"""
The CSV goes as the raw request body (`text/csv`) or as the file field of a multipart form.
The first row names the columns (any case; unknown columns are an error; a column left out
keeps its stored value on existing rows). UTF-8 with or without BOM; a GBK (Chinese Excel)
file is refused with a clear message unless `encoding=gbk` is given. Comma-separated, or
semicolon-separated as European Excel writes it. Numbers take a decimal point and no
thousands separator; dates are YYYY-MM-DD.

The whole file is checked first. If any row is bad nothing is written and the answer is 422
`invalid_csv` with `details.errors` = `[{{line, column, reason}}]` for every bad cell (the
first {MAX_REPORTED}; `details.total` counts them all; line 1 is the header, line 0 and no
column a problem of the whole file, such as its encoding). Otherwise it is written in
one transaction: rows are created or updated by their key (opening balances are always new
stock, posted through the ledger as one opening-balance command). `dry_run=true` checks and
counts without writing.

Roles: supervisors import locations of their own warehouses; items, barcodes, suppliers,
customers (shared by all warehouses) and opening balances need an admin.

Columns:

{COLUMNS}
"""

EXPORT_DESCRIPTION = f"""
The same columns as the import, so an exported file imports back unchanged. UTF-8 with a
BOM (Excel then shows Chinese text correctly), streamed. Locations and opening balances
cover the user's warehouses, or the one named by `warehouse`; `opening_balances.csv` is the
stock on hand per bin, item and lot, as an opening balance. Text that a spreadsheet would
calculate (starting with =, +, - or @) is written with a leading apostrophe, which the import
removes.

Columns:

{COLUMNS}
"""


class ImportResult(Output):
    kind: str
    rows: int
    dry_run: bool
    created: int
    updated: int
    unchanged: int
    encoding: str
    details: dict[str, Any] = msgspec.field(default_factory=dict)


@dataclass
class UploadOperation(Operation):
    """The import route's body: CSV text, or a multipart form with the file."""

    def __post_init__(self) -> None:
        binary = Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY)
        self.request_body = RequestBody(
            required=True,
            description="The CSV file: the raw body, or the `file` field of a form",
            content={
                CSV: OpenAPIMediaType(schema=binary),
                "multipart/form-data": OpenAPIMediaType(
                    schema=Schema(
                        type=OpenAPIType.OBJECT, properties={"file": binary}, required=["file"]
                    )
                ),
            },
        )


@dataclass
class DownloadOperation(Operation):
    def __post_init__(self) -> None:
        ok = (self.responses or {}).get("200")
        if isinstance(ok, OpenAPIResponse):
            ok.content = {
                CSV: OpenAPIMediaType(
                    schema=Schema(type=OpenAPIType.STRING, description="UTF-8 CSV with a BOM")
                )
            }


def _error(description: str) -> ResponseSpec:
    return ResponseSpec(ErrorBody, description=description, generate_examples=False)


async def _upload(request: Request[Actor, Any, Any], kind: str) -> bytes:
    if request.content_type[0] == "multipart/form-data":
        form = await request.form()
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            upload = next((v for v in form.values() if isinstance(v, UploadFile)), None)
        if upload is None:
            raise file_error(kind, "the form holds no file; send the CSV as its `file` field")
        return await upload.read()
    return await request.body()


class CsvController(Controller):
    path = "/api"
    tags = ["import and export"]

    @post(
        "/import/{kind:str}",
        guards=[requires_supervisor],
        status_code=200,
        request_max_body_size=MAX_UPLOAD_BYTES,
        operation_class=UploadOperation,
        summary="Import a CSV file of items, barcodes, locations, suppliers, customers or "
        "opening balances, whole or not at all",
        description=IMPORT_DESCRIPTION,
        responses={
            403: _error("The role or warehouse scope does not allow this import"),
            409: _error("The data changed while importing; nothing was written"),
            422: _error("`invalid_csv`: every bad cell as {line, column, reason}"),
        },
    )
    async def upload(
        self,
        request: Request[Actor, Any, Any],
        sessions: Sessions,
        actor: CurrentActor,
        kind: Annotated[Kind, PathParameter(description="What the file holds")],
        dry_run: Annotated[
            bool, QueryParameter(description="Check and count only; write nothing")
        ] = False,
        encoding: Annotated[
            Literal["utf-8", "gbk"],
            QueryParameter(description="`gbk` to accept a GBK/GB18030 file"),
        ] = "utf-8",
    ) -> ImportResult:
        check_kind(kind, actor)
        data = await _upload(request, kind)
        summary = await import_csv(
            sessions,
            actor,
            kind,
            data,
            encoding=encoding,
            dry_run=dry_run,
            reference=f"csv-upload-{actor.username}",
        )
        details = dict(summary.details)
        return ImportResult(
            kind=summary.kind,
            rows=summary.rows,
            dry_run=summary.dry_run,
            created=summary.created,
            updated=summary.updated,
            unchanged=summary.unchanged,
            encoding=details.pop("encoding"),
            details=details,
        )

    @get(
        "/export/{file:str}",
        guards=[requires_supervisor],
        media_type=CSV,
        operation_class=DownloadOperation,
        summary="Export items, barcodes, locations, suppliers, customers or stock on hand as CSV",
        description=EXPORT_DESCRIPTION,
        response_description="The CSV file, streamed",
        response_headers=[
            ResponseHeader(
                name="Content-Disposition",
                description="attachment; the file name is the kind, e.g. items.csv",
                value='attachment; filename="items.csv"',
                documentation_only=True,
            )
        ],
        responses={
            403: _error("The warehouse is outside the user's warehouses"),
            404: _error("No such warehouse"),
            422: _error("`warehouse` given for a kind that is not per warehouse"),
        },
    )
    async def download(
        self,
        db: Db,
        sessions: Sessions,
        actor: CurrentActor,
        file: Annotated[ExportFile, PathParameter(description="The kind, then .csv")],
        warehouse: Annotated[
            str | None,
            QueryParameter(description="A warehouse code: locations and opening balances only"),
        ] = None,
    ) -> Stream:
        kind = file.removesuffix(".csv")
        export = await prepare_export(db, actor, kind, warehouse)
        await db.rollback()
        return Stream(
            export_csv(sessions, export),
            media_type=f"{CSV}; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{export.filename}"'},
        )
