from datetime import UTC, datetime, timedelta, timezone

from shared.domain.moments import utc_text


def test_utc_text_is_utc_with_microseconds_and_z() -> None:
    assert utc_text(datetime(2024, 1, 2, 3, 4, 5, 6789, tzinfo=UTC)) == "2024-01-02T03:04:05.006789Z"
    assert utc_text(datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)) == "2024-01-02T03:04:05.000000Z"
    assert utc_text(datetime(2024, 1, 2, 3, 4, 5, 999999, tzinfo=UTC)) == "2024-01-02T03:04:05.999999Z"


def test_utc_text_converts_other_timezones_to_utc_and_takes_naive_moments_as_utc() -> None:
    berlin_summer = timezone(timedelta(hours=2))
    new_york = timezone(timedelta(hours=-5))

    assert (
        utc_text(datetime(2024, 7, 1, 1, 30, 0, 250000, tzinfo=berlin_summer))
        == "2024-06-30T23:30:00.250000Z"
    )
    assert utc_text(datetime(2024, 12, 31, 20, 0, 0, tzinfo=new_york)) == "2025-01-01T01:00:00.000000Z"
    assert utc_text(datetime(2024, 1, 2, 3, 4, 5)) == "2024-01-02T03:04:05.000000Z"


def test_texts_sort_as_their_moments_do() -> None:
    start = datetime(2026, 11, 23, 23, 59, 59, 999000, tzinfo=UTC)
    moments = [start + timedelta(microseconds=n) for n in (0, 1, 456, 999, 1000, 1001)]

    assert sorted(utc_text(m) for m in reversed(moments)) == [utc_text(m) for m in moments]
