"""Scan-to-confirm rules: supervisors choose the scans an operation needs; the server checks."""

from __future__ import annotations

import pytest

from tests.test_outbound import _allocated_order, _pick, _pick_line

pytestmark = pytest.mark.anyio




async def test_defaults_need_the_bin_for_a_pick(supervisor, worker, world, shipping) -> None:
    rules = (await worker.get("/api/settings/scan-rules")).json()
    assert rules["pick"]["source_bin"] == "required" and rules["pick"]["item"] == "optional"
    order = await _allocated_order(supervisor, world, "PLAIN", 2)
    line = await _pick_line(worker, order["id"])
    body = {**worker.envelope(), "task_line_id": line["id"], "quantity": 2}
    missing = await worker.post("/api/picks", json=body)
    assert missing.status_code == 422 and missing.json()["code"] == "scan_required"
    assert missing.json()["details"]["missing"] == ["source_bin"]
    assert (await worker.post("/api/picks", json=_pick(worker, line, world.loc("A-01"),
                                                       2))).status_code == 201


async def test_supervisor_requires_the_item_scan(supervisor, worker, world, shipping) -> None:
    assert (await worker.put("/api/settings/scan-rules",
                             {"pick": {"item": "required"}})).status_code == 403
    updated = await supervisor.put("/api/settings/scan-rules", {"pick": {"item": "required"}})
    assert updated.status_code == 200 and updated.json()["pick"]["item"] == "required"
    assert updated.json()["pick"]["source_bin"] == "required"  # the rest is kept
    order = await _allocated_order(supervisor, world, "PLAIN", 3)
    line = await _pick_line(worker, order["id"])
    no_item = await worker.post("/api/picks", json=_pick(worker, line, world.loc("A-01"), 3))
    assert no_item.status_code == 422 and no_item.json()["details"]["missing"] == ["item"]
    wrong = await worker.post("/api/picks", json=_pick(worker, line, world.loc("A-01"), 3,
                                                       item_code="5000112637922"))
    assert wrong.status_code == 422 and wrong.json()["code"] == "scan_mismatch"
    # The case barcode names the same item: it confirms the line.
    right = await worker.post("/api/picks", json=_pick(worker, line, world.loc("A-01"), 3,
                                                       item_code="14006381333938"))
    assert right.status_code == 201, right.text


async def test_rules_are_validated(supervisor) -> None:
    unknown_op = await supervisor.put("/api/settings/scan-rules", {"dance": {"item": "required"}})
    assert unknown_op.status_code == 422
    unknown_field = await supervisor.put("/api/settings/scan-rules",
                                         {"pick": {"destination_bin": "required"}})
    assert unknown_field.status_code == 422
    bad_value = await supervisor.put("/api/settings/scan-rules", {"pick": {"item": "maybe"}})
    assert bad_value.status_code == 400
