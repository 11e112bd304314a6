"""core/dates.iso_date: every form a vendor sends reads as the day it names; nothing else does,
and whatever comes in, the only failure is NotADate naming the value, cut short."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reconciler.core.dates import NotADate, iso_date


def vendor_forms(day: date, zone_minutes: int) -> dict[str, str]:
    """The day as each vendor writes it (hris-apis.md and the fakes in tests/fakes/)."""
    plain = day.isoformat()
    sign = "-" if zone_minutes < 0 else "+"
    hours, minutes = divmod(abs(zone_minutes), 60)
    zone = f"{sign}{hours:02}:{minutes:02}"
    return {
        "HiBob, exports, our own files": plain,
        "Personio (midnight with the zone's offset)": f"{plain}T00:00:00{zone}",
        "an offset without a colon": f"{plain}T23:59:59{zone.replace(':', '')}",
        "AFAS (Amsterdam time with a misleading Z)": f"{plain}T00:00:00Z",
        "Nmbrs xsd:dateTime": f"{plain}T00:00:00",
        "Nmbrs with fractions": f"{plain}T13:45:07.1234567",
        "minutes only": f"{plain}T08:30",
        "a space for the T": f"{plain} 08:30:00",
        "padded by a cell": f"  {plain}\t",
    }


@given(st.dates(), st.integers(min_value=-14 * 60, max_value=14 * 60))
def test_every_vendor_form_reads_as_the_day_written(day, zone_minutes):
    for form, text in vendor_forms(day, zone_minutes).items():
        assert iso_date(text) == day, form


@given(st.datetimes(timezones=st.just(timezone(timedelta(hours=-11)))))
def test_the_day_is_never_moved_into_another_zone(moment):
    # 23:00 at -11:00 is the next day in UTC; the HRIS meant the day it wrote.
    assert iso_date(moment.isoformat()) == moment.date()


@given(st.one_of(st.dates(), st.datetimes()))
def test_a_date_yaml_already_read_stays_that_day(value):
    day = iso_date(value)
    assert type(day) is date and (day.year, day.month, day.day) == (
        value.year,
        value.month,
        value.day,
    )


@pytest.mark.parametrize("empty", [None, "", "   ", "\t\n"])
def test_empty_is_none(empty):
    assert iso_date(empty) is None


@pytest.mark.parametrize(
    "text",
    [
        "31.12.2025",  # German
        "01/02/2021",  # US or European: ambiguous either way
        "20240131",  # ISO basic: no vendor sends it
        "2024-W05-3",  # ISO week date: no vendor sends it
        "2024-02-30",
        "2024-13-01",
        "0000-01-01",
        "2024-01-31T24:00:00",
        "2024-01-31T12:60",
        "2024-01-31T12:00:00+24:00",
        "2024-01-31garbage",
        "2024-01-31T",
        "２０２４-０１-３１",  # full-width digits
        "٢٠٢٤-٠١-٣١",  # Arabic-Indic digits: int() would read them
    ],
)
def test_what_no_vendor_sends_is_refused(text):
    with pytest.raises(NotADate, match="is not an ISO date"):
        iso_date(text)


def test_the_error_quotes_a_huge_cell_cut_short():
    cell = "2024-01-01" + "x" * 50_000_000
    with pytest.raises(NotADate) as raised:
        iso_date(cell)
    assert len(str(raised.value)) < 150
    assert "50000010 characters" in str(raised.value)


@given(
    st.one_of(
        st.text(),
        st.text(alphabet="0123456789-T:+Z. ", max_size=40),
        st.integers(),
        st.floats(),
        st.booleans(),
        st.lists(st.text(max_size=3), max_size=3),
        st.dictionaries(st.text(max_size=3), st.text(max_size=3), max_size=2),
        st.binary(max_size=12),
    )
)
def test_garbage_only_ever_fails_with_the_clear_error(value):
    try:
        day = iso_date(value)
    except NotADate as exc:
        assert "is not an ISO date (YYYY-MM-DD)" in str(exc)
    else:
        # what is accepted is a real day that the text starts with
        assert day is None or (isinstance(value, str) and value.strip().startswith(str(day)))


def test_a_datetime_is_taken_at_its_own_day():
    assert iso_date(datetime(2024, 6, 30, 23, 30)) == date(2024, 6, 30)
