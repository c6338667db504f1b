"""Commands: every state change a person makes, as the device sends it.

A command carries a client-made `event_id`, the `device_id` it came from and `occurred_at`
(when the worker did it, which can be hours before it reaches the server). The same struct
arrives through a task endpoint or inside a `/api/sync` batch; the `type` tag tells them apart.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

import msgspec

from backend.domain.vocabulary import AdjustmentReason

Quantity = Annotated[int, msgspec.Meta(gt=0, le=1_000_000_000)]
SignedQuantity = Annotated[int, msgspec.Meta(ge=-1_000_000_000, le=1_000_000_000)]
DeviceId = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Code = Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
# As long as the lots table keeps it (GS1 AI 10 carries at most 20 characters).
LotNumber = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Id = Annotated[int, msgspec.Meta(ge=1)]
Note = Annotated[str, msgspec.Meta(max_length=2000)]


class CommandBase(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, tag_field="type"):
    """`depends_on` names earlier events this one builds on (a pick after the claim of its
    task, a shipment after its packing): if one of them was rejected, so is this one."""

    event_id: uuid.UUID
    device_id: DeviceId
    occurred_at: dt.datetime
    depends_on: Annotated[list[uuid.UUID], msgspec.Meta(max_length=50)] = msgspec.field(
        default_factory=list
    )


class MoveStock(CommandBase, tag="move_stock"):
    """Bin to bin within a warehouse: take `quantity` (or the listed serials) and put it away."""

    item_id: Id
    from_location_id: Id
    to_location_id: Id
    quantity: Quantity
    lot_number: LotNumber | None = None
    serials: list[Code] = msgspec.field(default_factory=list)
    note: Note | None = None


class AdjustStock(CommandBase, tag="adjust_stock"):
    """Correct the book: positive `quantity` adds found stock, negative writes stock off."""

    item_id: Id
    location_id: Id
    quantity: SignedQuantity
    reason: AdjustmentReason
    lot_number: LotNumber | None = None
    expiry_date: dt.date | None = None
    serials: list[Code] = msgspec.field(default_factory=list)
    comment: Note | None = None


class OpeningLine(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    item_id: Id
    location_id: Id
    quantity: Quantity
    lot_number: LotNumber | None = None
    expiry_date: dt.date | None = None
    serials: list[Code] = msgspec.field(default_factory=list)


class PostOpeningBalance(CommandBase, tag="opening_balance"):
    """Stock already on the shelves when a warehouse starts using Stockhand."""

    lines: Annotated[list[OpeningLine], msgspec.Meta(min_length=1, max_length=10_000)]
    reference: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] = "opening"


class ClaimTask(CommandBase, tag="claim_task"):
    """A worker takes an open, unassigned task of their warehouse."""

    task_id: Id


class ReceiveGoods(CommandBase, tag="receive_goods"):
    """Goods of one purchase-order line counted in at the dock.

    `quantity` is in base units (a scanned case barcode counts its packaging quantity);
    `damaged_quantity` units go to quarantine instead of the dock.
    """

    order_id: Id
    line_id: Id
    quantity: Annotated[int, msgspec.Meta(ge=0, le=1_000_000_000)]
    damaged_quantity: Annotated[int, msgspec.Meta(ge=0, le=1_000_000_000)] = 0
    lot_number: LotNumber | None = None
    expiry_date: dt.date | None = None
    serials: list[Code] = msgspec.field(default_factory=list)
    dock_location_id: Id | None = None
    barcode: Code | None = None


class PutAway(CommandBase, tag="put_away"):
    """Stock taken from the dock to the bin scanned; the suggested bin is only a suggestion.

    `from_location_id`, `item_code` and `lot_number` are what was scanned to confirm; the
    supervisors' scan rules say which of them are required."""

    task_line_id: Id
    to_location_id: Id
    quantity: Quantity
    serials: list[Code] = msgspec.field(default_factory=list)
    from_location_id: Id | None = None
    item_code: Code | None = None
    lot_number: LotNumber | None = None


class PickItem(CommandBase, tag="pick_item"):
    """Units of a pick line taken from the bin scanned; `short` says the bin held no more.

    `location_id`, `item_code` and `lot_number` are what was scanned to confirm; the
    supervisors' scan rules say which of them are required (by default the bin and lot)."""

    task_line_id: Id
    quantity: Annotated[int, msgspec.Meta(ge=0, le=1_000_000_000)]
    location_id: Id | None = None
    item_code: Code | None = None
    lot_number: LotNumber | None = None
    serials: list[Code] = msgspec.field(default_factory=list)
    short: bool = False


class PackLine(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    item_id: Id
    quantity: Quantity
    lot_number: LotNumber | None = None
    serials: list[Code] = msgspec.field(default_factory=list)


Sscc = Annotated[str, msgspec.Meta(pattern=r"^[0-9]{18}$")]


class PackItems(CommandBase, tag="pack_items"):
    """Picked units of a sales order put into a package: a new one with a fresh SSCC, or
    the open package whose label was scanned (`sscc`); `close` seals it for shipping."""

    order_id: Id
    lines: Annotated[list[PackLine], msgspec.Meta(min_length=1, max_length=500)]
    sscc: Sscc | None = None
    close: bool = True


class ShipOrder(CommandBase, tag="ship_order"):
    """What was picked for a sales order leaves for the customer: the closed packages whose
    SSCCs are listed, or, with none listed, everything picked and not yet shipped."""

    order_id: Id
    package_ssccs: Annotated[list[Sscc], msgspec.Meta(max_length=1000)] = msgspec.field(
        default_factory=list
    )


class DecideAdjustment(CommandBase, tag="decide_adjustment"):
    """A supervisor's or admin's decision on an adjustment that waited for approval."""

    request_id: Id
    decision: Literal["approve", "reject"]
    note: Note | None = None


class ShipTransferLine(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    line_id: Id
    quantity: Quantity
    from_location_id: Id
    lot_number: LotNumber | None = None
    serials: list[Code] = msgspec.field(default_factory=list)


class ShipTransfer(CommandBase, tag="ship_transfer"):
    """Units of a warehouse transfer taken from the bins scanned into the route's transit."""

    transfer_id: Id
    lines: Annotated[list[ShipTransferLine], msgspec.Meta(min_length=1, max_length=1000)]


Arrived = Annotated[int, msgspec.Meta(ge=0, le=1_000_000_000)]


class ReceiveTransferLine(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """`serials` are the good units, `damaged_serials` those going to quarantine."""

    line_id: Id
    quantity: Arrived
    damaged_quantity: Arrived = 0
    to_location_id: Id | None = None
    serials: list[Code] = msgspec.field(default_factory=list)
    damaged_serials: list[Code] = msgspec.field(default_factory=list)


class ReceiveTransfer(CommandBase, tag="receive_transfer"):
    """Units of a warehouse transfer counted in at the destination, out of transit."""

    transfer_id: Id
    lines: Annotated[list[ReceiveTransferLine], msgspec.Meta(min_length=1, max_length=1000)]


class CloseTransfer(CommandBase, tag="close_transfer"):
    """The destination gives up on what is still in transit: it is written off, with a reason."""

    transfer_id: Id
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]


class CountedItem(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """One item (and lot) found in a bin and how many; 0 says it was looked for and is absent."""

    item_id: Id
    quantity: Annotated[int, msgspec.Meta(ge=0, le=1_000_000_000)]
    # A lot found here may be new and is then stored: no longer than lots.lot_number.
    lot_number: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] | None = None


class RecordCount(CommandBase, tag="record_count"):
    """Everything counted in one line (a bin, or one item of it) of a cycle count, complete:
    what the book held there and is not listed counts as zero. An empty bin is said so with
    `empty` and no entries. Serial-tracked items are counted by quantity."""

    count_line_id: Id
    entries: Annotated[list[CountedItem], msgspec.Meta(max_length=1000)] = msgspec.field(
        default_factory=list
    )
    empty: bool = False


class DecideCount(CommandBase, tag="decide_count"):
    """A decision on a count's variances: the entries listed, or all pending ones. Approving
    posts the adjustments; the value of each variance says whether an admin must decide."""

    count_id: Id
    decision: Literal["approve", "reject"]
    entry_ids: Annotated[list[Id], msgspec.Meta(min_length=1, max_length=1000)] | None = None
    note: Note | None = None


Command = (
    MoveStock
    | AdjustStock
    | PostOpeningBalance
    | ClaimTask
    | ReceiveGoods
    | PutAway
    | PickItem
    | PackItems
    | ShipOrder
    | DecideAdjustment
    | ShipTransfer
    | ReceiveTransfer
    | CloseTransfer
    | RecordCount
    | DecideCount
)
