"""Modules of the PWA tested inside the page: the BarcodeDetector path with a stub (Chromium
on Linux has no BarcodeDetector, so the camera test cannot reach it), and the device's GS1
parser and scan resolution against the server's, on the scanner tests' own examples."""

from __future__ import annotations

import datetime as dt
import random
import urllib.parse
from decimal import Decimal
from typing import Any

import pytest
from playwright.sync_api import Page

from scanner import gs1
from scanner.errors import GS1Error
from tests.pwa.conftest import World, untracked_item_with_case
from tests.pwa.helpers import sign_in
from tests.scanner import test_gs1 as server_examples

TODAY = server_examples.TODAY
GS = "\x1d"

DETECTOR_PATH = """async () => {
  const scan = await import('/js/scan.js');
  class Stub {
    static async getSupportedFormats() { return ['ean_13', 'qr_code', 'data_matrix', 'made_up']; }
    constructor(options) { Stub.options = options; Stub.calls = 0; }
    async detect(source) {
      Stub.calls += 1;
      Stub.source = source.tagName;
      return [{ rawValue: '4006381333931', format: 'ean_13' }, { rawValue: '', format: 'qr_code' }];
    }
  }
  class Useless { static async getSupportedFormats() { return ['made_up']; } }
  const uploads = [];
  const post = async () => { uploads.push(1); return []; };
  const reader = await scan.pickReader({ Detector: Stub, post });
  const texts = await reader(document.createElement('canvas'));
  const fallback = await scan.pickReader({ Detector: Useless });

  // The camera loop on the detector path: a canvas stream stands in for the camera.
  const canvas = Object.assign(document.createElement('canvas'), { width: 320, height: 240 });
  canvas.getContext('2d').fillRect(0, 0, 10, 10);
  const video = document.createElement('video');
  document.body.append(video);
  const seen = [];
  const camera = new scan.CameraScanner({ video, reader, onCode: (t) => seen.push(t) });
  const original = navigator.mediaDevices.getUserMedia;
  navigator.mediaDevices.getUserMedia = async () => canvas.captureStream(10);
  await camera.start();
  await new Promise((r) => setTimeout(r, 700));
  camera.stop();
  navigator.mediaDevices.getUserMedia = original;

  let now = 0;
  const fresh = scan.repeatFilter(1500, () => now);
  const at = (t, text) => { now = t; return fresh(text); };
  const repeats = [at(0, 'A'), at(1000, 'A'), at(2000, 'A'), at(3600, 'A'), at(3600, 'B')];
  return {
    kind: reader.kind, texts, formats: Stub.options.formats, uploads: uploads.length,
    fallback: fallback.kind, none: await scan.browserDetector(undefined),
    loopCalls: Stub.calls, loopSource: Stub.source, seen, repeats,
    sizes: [scan.frameSize(1920, 1080), scan.frameSize(960, 540), scan.frameSize(640, 480)],
  };
}"""


def test_barcode_detector_path_with_a_stub(page: Page) -> None:
    page.goto("/")
    page.wait_for_selector("body[data-ready]")
    result = page.evaluate(DETECTOR_PATH)
    assert result["kind"] == "detector"
    assert result["texts"] == ["4006381333931"]  # empty reads are dropped
    assert result["formats"] == ["ean_13", "qr_code", "data_matrix"]
    assert result["uploads"] == 0  # with a detector no frame leaves the device
    assert result["fallback"] == "upload"  # a detector knowing none of our formats is no use
    assert result["none"] is None
    # About 8 reads a second from the video element, but the label is one scan.
    assert result["loopCalls"] >= 3 and result["loopSource"] == "VIDEO"
    assert result["seen"] == ["4006381333931"]
    assert result["repeats"] == [True, False, False, True, True]
    assert result["sizes"] == [
        {"width": 960, "height": 540},
        {"width": 960, "height": 540},
        {"width": 640, "height": 480},
    ]


def _examples() -> list[str]:
    """The inputs of the scanner's GS1 tests, taken from their parametrize marks, plus the
    raw (GS-separated) ones those tests build inline."""
    inputs: list[str] = []
    for test in (
        server_examples.test_bracketed_examples,
        server_examples.test_malformed_data_names_the_ai,
        server_examples.test_not_gs1_at_all,
    ):
        for mark in test.pytestmark:
            if mark.name == "parametrize":
                inputs += [values[0] for values in mark.args[1]]
    for mark in server_examples.test_century_is_within_minus_49_to_plus_50_years.pytestmark:
        if mark.name == "parametrize":
            inputs += [f"(17){yy}0101" for yy, _ in mark.args[1]]
    inputs += [
        "]C1" + "0109506000134352" + "10ABC123" + GS + "17201225",
        *(p + "0109506000134352" + "3103000189" for p in ("]C1", "]d2", "]Q3", "]e0", "", GS)),
        "010950600013435221SER" + GS + "3701",
        "0109506000134352" + GS + "10LOT",
        "0109506000134352" + "10ABC123" + "21" + "1234567890123",
        "0109506000134352" + "10ABC" + "21XYZ",
        "0109506000134352" + "10ABC" + GS + "17201225" + "21S1",
    ]
    return inputs


def _random_inputs(n: int = 400) -> list[str]:
    """Random strings from the same pieces the scanner's property test draws from."""
    rng = random.Random(20261127)
    pieces = ["01", "10", "17", "21", "3103", "00", "414", "(", ")", GS, "]C1", "37", "02"]
    out = []
    for _ in range(n):
        parts = []
        for _ in range(rng.randint(1, 8)):
            kind = rng.random()
            if kind < 0.5:
                parts.append(rng.choice(pieces))
            elif kind < 0.85:
                parts.append("".join(rng.choices("0123456789", k=rng.randint(1, 16))))
            else:
                parts.append("".join(rng.choices("ABCxyz-/ .", k=rng.randint(1, 4))))
        out.append("".join(parts))
    return out


def _server(data: str) -> dict[str, Any]:
    try:
        elements = gs1.parse(data, today=TODAY)
    except GS1Error as error:
        return {"error": True, "ai": error.ai}
    return {"error": False, "elements": [(e.ai, e.raw, e.value) for e in elements]}


def _same_value(device: Any, server: Any) -> bool:
    if isinstance(server, Decimal):
        return Decimal(device) == server
    if isinstance(server, dt.datetime):
        return device == server.isoformat()
    if isinstance(server, dt.date):
        return device == server.isoformat()
    return bool(device == server)


DEVICE_PARSE = """(inputs) => import('/js/gs1.js').then((gs1) => inputs.map((data) => {
  try {
    const elements = gs1.parse(data, { today: new Date(2026, 5, 15) });
    return { error: false, elements: elements.map((e) => [e.ai, e.raw, e.value]) };
  } catch (error) {
    if (!(error instanceof gs1.GS1Error)) return { error: true, crash: String(error) };
    return { error: true, ai: error.ai };
  }
}))"""


@pytest.mark.parametrize("source", ["examples", "random"])
def test_gs1_parser_on_the_device_agrees_with_the_server(page: Page, source: str) -> None:
    inputs = _examples() if source == "examples" else _random_inputs()
    page.goto("/")
    page.wait_for_selector("body[data-ready]")
    device = page.evaluate(DEVICE_PARSE, inputs)
    disagreements = []
    for data, mine in zip(inputs, device, strict=True):
        theirs = _server(data)
        if "crash" in mine:
            disagreements.append((data, "crashed", mine["crash"]))
        elif mine["error"] != theirs["error"]:
            disagreements.append((data, mine, theirs))
        elif mine["error"]:
            if mine["ai"] != theirs["ai"]:
                disagreements.append((data, mine["ai"], theirs["ai"]))
        else:
            pairs = list(zip(mine["elements"], theirs["elements"], strict=False))
            if len(mine["elements"]) != len(theirs["elements"]) or not all(
                m[0] == s[0] and m[1] == s[1] and _same_value(m[2], s[2]) for m, s in pairs
            ):
                disagreements.append((data, mine["elements"], theirs["elements"]))
    assert not disagreements
    if source == "examples":
        assert sum(not _server(d)["error"] for d in inputs) >= 25


def test_gs1_table_on_the_device_is_the_servers(page: Page) -> None:
    page.goto("/")
    page.wait_for_selector("body[data-ready]")
    device = page.evaluate(
        """() => import('/js/gs1.js').then((gs1) => [...gs1.AI_TABLE].map(([ai, s]) => [
            ai, s.parts.map((p) => [p.charset, p.min, p.max]),
            s.kind, s.check, s.decimals, s.predefined]))"""
    )
    mine = {row[0]: row[1:] for row in device}
    theirs = {
        ai: [
            [[p.charset, p.min_len, p.max_len] for p in spec.parts],
            spec.kind,
            list(spec.check) if spec.check else None,
            spec.decimals,
            spec.predefined,
        ]
        for ai, spec in gs1.AI_TABLE.items()
    }
    assert mine == theirs


def test_scans_resolve_on_the_device_as_on_the_server(world: World, page: Page) -> None:
    item = untracked_item_with_case(world, skip=4)
    case = item["case"]
    with world.api() as api:
        bin_ = api.get("/api/locations", params={"code": "C01-01"}).json()["items"][0]
    codes = [
        item["unit"],
        item["unit"].zfill(14),
        case["code"],
        item["sku"],
        bin_["barcode"],
        f"(01){case['code']}(10)LOT-7(17)271231(30)3",
        f"(02){case['code']}(37)2",
        f"]C1010{item['unit']}10L1{GS}15270600",
        "(01)09506000134352(21)S1",
        "(17)991301",
    ]
    sign_in(page, "worker")
    device = page.evaluate(
        """(codes) => import('/js/resolve.js').then((m) => Promise.all(codes.map(m.resolve)))
            .then((all) => all.map((r) => ({
              kind: r.kind, item: r.item?.id ?? null, location: r.location?.id ?? null,
              quantity: r.quantity, lot: r.lot_number ?? null, expiry: r.expiry_date ?? null,
              error: !!r.gs1Error })))""",
        codes,
    )
    with world.api("worker") as api:
        for code, mine in zip(codes, device, strict=True):
            answer = api.get(f"/api/scan/resolve/{urllib.parse.quote(code, safe='')}")
            if answer.status_code == 422:
                assert mine["error"], code
                continue
            theirs = answer.json()
            assert mine == {
                "kind": theirs["kind"],
                "item": (theirs["item"] or {}).get("id"),
                "location": (theirs["location"] or {}).get("id"),
                "quantity": theirs["quantity"],
                "lot": theirs["lot_number"],
                "expiry": theirs["expiry_date"],
                "error": False,
            }, code
