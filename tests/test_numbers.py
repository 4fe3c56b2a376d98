"""The one strict reading of a person's numbers (`unknot.numbers`) and everything that uses it:
any text at all either gives a finite number within its limits or one clear UnknotError, never
another exception, and only plain decimal in the ASCII digits 0-9 is read as a number."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from unknot.catalog.areas import RATINGS, WEIGHTS, parse_weighted
from unknot.catalog.holds import parse_hold, read_hold
from unknot.errors import UnknotError
from unknot.numbers import MAX_CHARS, decimal, in_range, read_number, whole
from unknot.plan.needs import HOLD_SECONDS, MINUTES, SPEED, parse_number, read_needs
from unknot.yamlfile import parse

# Text a person might type, and text meant to break a parser: digits of every script,
# superscripts, signs, exponents, words Python's float() reads, and very long numbers.
ODD = ["nan", "NaN", "inf", "-inf", "Infinity", "1e400", "1e3", "0x1e", "1_000", "1:30", "³",
       "\uff11\uff10", "٣", "੩", "²", "½", "Ⅻ", ".", "..", "1.2.3", "1,5", "- 5", "5-", "e5",
       "9" * 400, "9" * 5000, "0" * 30 + "1", "-0", "+5", "1.", ".5", " 7 ", "\t8\n"]  # fmt: skip
REFUSED = ODD[:-6]  # the last six are plain decimal
texts = st.one_of(
    st.text(max_size=30),
    st.text(st.characters(categories=["Nd", "No", "Nl", "Zs"]), max_size=12),
    st.text(alphabet="0123456789.+-eE ", max_size=40),
    st.sampled_from(ODD),
    st.integers(min_value=0, max_value=6000).map(lambda n: "9" * n),
)
numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**500), max_value=10**500),
    st.booleans(),
)


@settings(max_examples=500, deadline=None)
@given(texts)
def test_decimal_gives_a_finite_number_or_none(text: str) -> None:
    value = decimal(text)
    assert value is None or math.isfinite(value)
    if value is not None:
        assert text.strip().isascii()
        assert len(text.strip()) <= MAX_CHARS


@settings(max_examples=500, deadline=None)
@given(texts)
def test_whole_gives_a_bounded_whole_number_or_none(text: str) -> None:
    value = whole(text)
    assert value is None or abs(value) < 10**MAX_CHARS


@settings(max_examples=500, deadline=None)
@given(st.one_of(texts, numbers), st.sampled_from([MINUTES, HOLD_SECONDS, SPEED, (0, 10)]))
def test_read_number_is_in_range_or_one_clear_error(
    value: object, limits: tuple[float, float]
) -> None:
    low, high = limits
    try:
        number = read_number(value, field="minutes", low=low, high=high, unit="minutes")
    except UnknotError as err:
        line = err.line()
        assert "\n" not in line
        assert err.field == "minutes"
        assert len(line) < 300  # a 5,000-digit number is not repeated back
        return
    assert math.isfinite(number)
    assert low <= number <= high


@settings(max_examples=300, deadline=None)
@given(st.one_of(texts, numbers))
def test_parse_number_is_in_range_or_one_clear_error(value: str | float) -> None:
    try:
        number = parse_number(value, "minutes", MINUTES, "minutes")
    except UnknotError:
        return
    assert number is None or (math.isfinite(number) and 1 <= number <= 240)


@settings(max_examples=300, deadline=None)
@given(texts, texts)
def test_needs_from_any_words_are_checked_or_one_clear_error(minutes: str, hold: str) -> None:
    try:
        needs = read_needs(minutes=minutes, hold=hold)
    except UnknotError as err:
        assert err.field in ("minutes", "hold")
        return
    assert needs.minutes is None or 1 <= needs.minutes <= 240
    assert needs.hold is None or 1 <= needs.hold <= 1800


@settings(max_examples=300, deadline=None)
@given(texts)
def test_a_weight_or_rating_is_in_range_or_one_clear_error(number: str) -> None:
    for scale in (WEIGHTS, RATINGS):
        try:
            found = parse_weighted([f"calves:{number}"], scale, field="tight")
        except UnknotError as err:
            assert "\n" not in err.line() and len(err.line()) < 400
            continue
        assert all(scale.low <= v <= scale.high for v in found.values())


@settings(max_examples=500, deadline=None)
@given(st.one_of(texts, texts.map(lambda t: f"{t}-{t} min"), texts.map(lambda t: f"{t} s")))
def test_a_hold_is_a_hold_or_none(text: str) -> None:
    hold = parse_hold(text)
    assert hold is None or (isinstance(hold.low, int) and isinstance(hold.high, int))


@settings(max_examples=300, deadline=None)
@given(st.one_of(texts, numbers.map(str)))
def test_a_hold_in_a_file_is_a_hold_or_one_clear_error(value: str) -> None:
    document = f"hold: {value!r}\n".replace("'", '"') if value.strip() else "hold: x\n"
    try:
        root = parse(document, where="f.yaml", what="routine")
        hold = read_hold(root.mapping(("hold",))["hold"])
    except UnknotError as err:
        assert "\n" not in err.line()
        return
    assert 1 <= hold.low <= hold.high <= 1800


@pytest.mark.parametrize(
    ("text", "value"),
    [("30", 30.0), (" 30 ", 30.0), ("2.5", 2.5), (".5", 0.5), ("10.", 10.0), ("-5", -5.0),
     ("+5", 5.0), ("0" * 19 + "7", 7.0)],
)  # fmt: skip
def test_plain_decimal_is_read(text: str, value: float) -> None:
    assert decimal(text) == value


@pytest.mark.parametrize("text", [*REFUSED, "9" * 21, "", " "])
def test_anything_else_is_not_a_number(text: str) -> None:
    assert decimal(text) is None
    assert whole(text) is None


def test_in_range_takes_numbers_as_they_are() -> None:
    assert in_range(10**400, 1, 240) is None  # no OverflowError on the way
    assert in_range(5, 1, 240) == 5.0
    assert in_range(math.nan, 1, 240) is None
    assert in_range(math.inf, 1, math.inf) is None
    assert in_range(True, 0, 10) is None  # a yes/no value is not a number
    assert in_range(None, 0, 10) is None


def test_the_error_says_what_was_typed_shortly() -> None:
    with pytest.raises(UnknotError) as caught:
        read_number("9" * 5000, field="minutes", low=1, high=240, unit="minutes")
    assert caught.value.line() == (
        "minutes: '99999999999999999999'... (5,000 characters) is not a number from 1 to 240; "
        "expected a number of minutes from 1 to 240"
    )
    with pytest.raises(UnknotError, match=r"only the digits 0-9 are read"):
        read_number("\uff11\uff10", field="minutes", low=1, high=240, unit="minutes")


@pytest.mark.parametrize(
    ("written", "seconds"),
    [("010", 10), ("30", 30), ("30.4", 30), ("-5", None), ("0x1e", None), ("1_000", None),
     ("1:30", None), ("1.0e+3", None), (".inf", None), ("9" * 5000, None)],
)  # fmt: skip
def test_a_yaml_number_is_read_as_written_in_decimal(written: str, seconds: int | None) -> None:
    """YAML 1.1 reads 010 as octal 8, 0x1e as 30, 1_000 as 1000 and 1:30 as 90: a person means
    none of those, so a number is read from its text, in decimal, or refused."""
    root = parse(f"hold: {written}\nrounds: {written}\n", where="f.yaml", what="routine")
    fields = root.mapping(("hold", "rounds"))
    if seconds is None:
        with pytest.raises(UnknotError):
            read_hold(fields["hold"])
    else:
        assert read_hold(fields["hold"]).seconds == seconds
    if written == "010":
        assert fields["rounds"].integer(low=1, high=20) == 10
    elif fields["rounds"].kind == "int" and written not in ("-5", "30"):
        with pytest.raises(UnknotError, match=r"not in decimal digits|too long to be read"):
            fields["rounds"].integer(low=1, high=20)
