"""GS1 element strings: examples from the GS1 General Specifications and their edge cases."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scanner import ScannerError, gs1
from scanner.errors import GS1Error

TODAY = date(2026, 6, 15)
GS = "\x1d"


def values(data: str | bytes) -> list[tuple[str, object]]:
    return [(e.ai, e.value) for e in gs1.parse(data, today=TODAY)]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        # GenSpecs 3.2 / 4.x examples: GTIN + expiry + batch
        (
            "(01)09506000134352(17)201225(10)ABC123",
            [("01", "09506000134352"), ("17", date(2020, 12, 25)), ("10", "ABC123")],
        ),
        # SSCC with its check digit
        ("(00)106141411234567897", [("00", "106141411234567897")]),
        # 310n: n = digits after the decimal point
        ("(3103)000189", [("3103", Decimal("0.189"))]),
        ("(3100)000189", [("3100", Decimal("189"))]),
        ("(3922)12345", [("3922", Decimal("123.45"))]),
        ("(3925)12345", [("3925", Decimal("0.12345"))]),
        # DD = 00: the last day of the month (2025 is not a leap year)
        ("(17)250200", [("17", date(2025, 2, 28))]),
        ("(15)240200", [("15", date(2024, 2, 29))]),
        ("(11)261100", [("11", date(2026, 11, 30))]),
        # counts are integers, keys keep their leading zeros
        ("(37)0012(02)09506000134352", [("37", 12), ("02", "09506000134352")]),
        ("(30)5", [("30", 5)]),
        # GLN-carrying AIs 410-414
        ("(410)9506000134369", [("410", "9506000134369")]),
        ("(414)9506000134369", [("414", "9506000134369")]),
        ("(413)9506000134369(412)9506000134369",
         [("413", "9506000134369"), ("412", "9506000134369")]),
        ("(411)9506000134369", [("411", "9506000134369")]),
        # alphanumeric variable fields
        ("(400)PO-4711(21)A1/B2(240)X(241)CUST-1(250)S2", [("400", "PO-4711"), ("21", "A1/B2"),
         ("240", "X"), ("241", "CUST-1"), ("250", "S2")]),
        ("(13)260101(7003)2502281230",
         [("13", date(2026, 1, 1)), ("7003", datetime(2025, 2, 28, 12, 30))]),
    ],
)  # fmt: skip
def test_bracketed_examples(data: str, expected: list[tuple[str, object]]) -> None:
    assert values(data) == expected


def test_raw_with_symbology_identifier_and_separators() -> None:
    raw = "]C1" + "0109506000134352" + "10ABC123" + GS + "17201225"
    assert values(raw) == [
        ("01", "09506000134352"),
        ("10", "ABC123"),
        ("17", date(2020, 12, 25)),
    ]


@pytest.mark.parametrize("prefix", ["]C1", "]d2", "]Q3", "]e0", "", GS])
def test_every_gs1_prefix(prefix: str) -> None:
    assert values(prefix + "0109506000134352" + "3103000189")[1] == ("3103", Decimal("0.189"))


def test_bytes_as_engines_return_them() -> None:
    assert values(b"010950600013435221SER" + GS.encode() + b"3701") == [
        ("01", "09506000134352"),
        ("21", "SER"),
        ("37", 1),
    ]


def test_fixed_length_ai_may_be_followed_by_a_separator() -> None:
    assert values("0109506000134352" + GS + "10LOT") == [("01", "09506000134352"), ("10", "LOT")]


def test_titles_and_raw_values() -> None:
    (e,) = gs1.parse("(3103)000189", today=TODAY)
    assert (e.ai, e.title, e.raw, e.value) == (
        "3103",
        "NET WEIGHT (kg)",
        "000189",
        Decimal("0.189"),
    )


@pytest.mark.parametrize(
    ("data", "ai", "fragment"),
    [
        ("(01)09506000134351", "01", "check digit"),
        ("(00)106141411234567890", "00", "check digit"),
        ("(414)9506000134360", "414", "check digit"),
        ("(01)0950600013435", "01", "needs 14"),
        ("(99)" + "x" * 91, "99", "longer than 90"),
        ("(10)" + "A" * 21, "10", "longer than 20"),
        ("(17)251301", "17", "month 13"),
        ("(17)250230", "17", "day 30"),
        ("(3103)00018A", "3103", "not allowed"),
        ("(10)ABC DEF", "10", "not allowed"),  # space is not in character set 82
        ("(7003)2502282460", "7003", "not a time"),
        ("(10)A(10)B", "10", "repeated"),
        ("(10)", "10", "empty"),
        ("(23)1", "23", "unknown"),
        ("(3106)000189", "3106", "unknown"),  # n > 5 does not exist for 310n
        ("(421)05", "421", "part 1"),
    ],
)
def test_malformed_data_names_the_ai(data: str, ai: str, fragment: str) -> None:
    with pytest.raises(GS1Error) as err:
        gs1.parse(data, today=TODAY)
    assert err.value.ai == ai
    assert f"AI ({ai})" in str(err.value)
    assert fragment in str(err.value)


def test_missing_separator_between_variable_fields() -> None:
    # Without GS the lot runs on into the serial: caught when it overflows its 20 chars...
    with pytest.raises(GS1Error, match=r"AI \(10\).*longer than 20"):
        gs1.parse("0109506000134352" + "10ABC123" + "21" + "1234567890123", today=TODAY)
    # ...and otherwise indistinguishable from a lot that contains "21": one element, no error
    assert values("0109506000134352" + "10ABC" + "21XYZ")[1] == ("10", "ABC21XYZ")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("", "no element strings"),
        ("]C0HELLO", "does not announce GS1"),
        ("HELLO", "expected an application identifier"),
        ("01095060001343", "needs 14"),
        ("0109506000134352" + GS + GS + "10A", "expected an application identifier"),
        ("(x)(01)09506000134352", r"must start with an \(AI\)"),
    ],
)
def test_not_gs1_at_all(data: str, message: str) -> None:
    with pytest.raises(GS1Error, match=message):
        gs1.parse(data, today=TODAY)


@pytest.mark.parametrize(
    ("yy", "year"),
    [("26", 2026), ("76", 2076), ("77", 1977), ("99", 1999), ("00", 2000), ("50", 2050)],
)
def test_century_is_within_minus_49_to_plus_50_years(yy: str, year: int) -> None:
    # GenSpecs 7.12 from 2026: 76 is +50 years (this century), 77 is -49 years (last one)
    assert values(f"(17){yy}0101") == [("17", date(year, 1, 1))]


def test_century_rolls_forward_near_the_end_of_a_century() -> None:
    assert gs1.century_year(5, date(2098, 1, 1)) == 2105
    assert gs1.century_year(48, date(2098, 1, 1)) == 2148
    assert gs1.century_year(47, date(2098, 1, 1)) == 2147
    assert gs1.century_year(49, date(2098, 1, 1)) == 2049


def test_hri_and_element_string_round_trip() -> None:
    elements = gs1.parse("(01)09506000134352(10)ABC(17)201225(21)S1", today=TODAY)
    assert gs1.to_hri(elements) == "(01)09506000134352(10)ABC(17)201225(21)S1"
    raw = gs1.to_element_string(elements)
    assert raw == "0109506000134352" + "10ABC" + GS + "17201225" + "21S1"
    assert gs1.parse(raw, today=TODAY) == elements
    assert gs1.as_dict(elements)["17"] == date(2020, 12, 25)


def test_key_helpers_used_by_the_backend_still_work() -> None:
    assert gs1.check_digit("950600013435") == 2
    assert gs1.with_check_digit("950600013435") == "9506000134352"
    assert gs1.is_valid_key("09506000134352")
    assert not gs1.is_valid_key("09506000134353")
    assert gs1.case_gtin("9506000134352") == "19506000134359"
    with pytest.raises(ValueError):
        gs1.check_digit("12a")


AI_CHARS = st.sampled_from(["01", "10", "17", "21", "3103", "00", "414", "(", ")", GS, "]C1"])


@settings(max_examples=400, deadline=None)
@given(
    st.one_of(
        st.text(max_size=80),
        st.binary(max_size=80),
        st.lists(st.one_of(AI_CHARS, st.text("0123456789", max_size=20), st.text(max_size=4)),
                 max_size=12).map("".join),
    )
)  # fmt: skip
def test_malformed_input_raises_only_gs1_error(data: str | bytes) -> None:
    try:
        elements = gs1.parse(data, today=TODAY)
    except GS1Error as err:
        assert isinstance(err, ScannerError)
        assert str(err)
    else:
        assert elements and all(e.ai in gs1.AI_TABLE for e in elements)
