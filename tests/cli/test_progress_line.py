"""ProgressLine as a unit, on a clock the test moves: n/N, rate and time left; one line redrawn
with `\\r` on a terminal; few plain lines in a CI log, however many steps; nothing with -q."""

from __future__ import annotations

import io

from reconciler.cli.output import ProgressLine, clock_time, progress_text
from reconciler.core.interfaces import Step


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def line(live: bool, clock: Clock) -> tuple[ProgressLine, io.StringIO]:
    stream = io.StringIO()
    return ProgressLine(stream, live=live, enabled=True, clock=clock), stream


def test_the_text_gives_n_of_n_the_rate_and_the_time_left():
    step = Step("apply", 1234, 10000, note="members")
    assert progress_text(step, 1234, 3.0) == "apply members  1,234/10,000  411/s  0:21 left"
    # A slow rate keeps a decimal; an unknown total has no time left.
    assert progress_text(Step("fetch AFAS employees", 5, None, "rows"), 5, 2.0) == (
        "fetch AFAS employees  5 rows  2.5/s"
    )
    assert progress_text(Step("apply", 10000, 10000), 10000, 25.0, ended=True) == (
        "apply  10,000/10,000  400/s  in 0:25"
    )


def test_under_a_second_there_is_no_rate_so_short_runs_print_the_same_lines():
    assert progress_text(Step("apply", 3, 14, note="teams"), 3, 0.4) == "apply teams  3/14"
    assert progress_text(Step("apply", 0, 14), 0, 5.0) == "apply  0/14"


def test_clock_time():
    shown = {0: "0:00", 21: "0:21", 59.6: "1:00", 725: "12:05", 3723: "1:02:03"}
    assert {seconds: clock_time(seconds) for seconds in shown} == shown


def test_a_terminal_gets_one_line_redrawn_in_place_at_most_ten_times_a_second():
    clock = Clock()
    progress, stream = line(True, clock)
    with progress:
        for done in range(0, 1001):
            progress(Step("apply", done, 1000, note="members"))
            clock.now += 0.002  # 500 a second: two seconds in all
    out = stream.getvalue()
    draws = out.split("\r")[1:]
    assert 15 <= len(draws) <= 25, len(draws)  # ~2 s at ten redraws a second, not 1001
    assert draws[0].rstrip() == "apply members  0/1,000"
    assert "/s" in draws[10] and "left" in draws[10]
    assert draws[-1].startswith("apply members  1,000/1,000  ") and "in 0:02" in draws[-1]
    assert out.endswith("\n") and out.count("\n") == 1  # the finished line stays
    # Each redraw covers all of the line before it: a shorter one leaves no tail behind.
    assert all(
        len(after) >= len(before) for before, after in zip(draws[:-1], draws[1:], strict=True)
    )


def test_a_ci_log_of_ten_thousand_changes_stays_short_but_shows_it_is_alive():
    clock = Clock()
    progress, stream = line(False, clock)
    with progress:
        for done in range(0, 10001):
            progress(Step("apply", done, 10000, note="members"))
            clock.now += 0.0025  # 400 a second: 25 s in all
    lines = stream.getvalue().splitlines()
    assert "\r" not in stream.getvalue()
    assert lines[0] == "apply members  0/10,000"
    assert lines[-1] == "apply members  10,000/10,000  400/s  in 0:25"
    assert 5 <= len(lines) <= 12, lines  # start, each tenth of the way, end
    middle = lines[len(lines) // 2]
    assert "/10,000  400/s  0:" in middle and middle.endswith(" left")


def test_a_slow_task_without_a_total_says_so_every_ten_seconds_and_at_the_end():
    clock = Clock()
    progress, stream = line(False, clock)
    with progress:
        for page in range(1, 61):
            progress(Step("fetch AFAS employees", page * 100, None, "rows"))
            clock.now += 1.0
    lines = stream.getvalue().splitlines()
    assert lines[0] == "fetch AFAS employees  100 rows"
    assert len(lines) == 7  # the start, one per 10 s after it, and the last count
    # 5,900 rows since the first count, in 60 s
    assert lines[-1] == "fetch AFAS employees  6,000 rows  98/s  in 1:00"


def test_each_task_starts_its_own_line_and_a_one_shot_task_prints_once():
    clock = Clock()
    progress, stream = line(False, clock)
    with progress:
        progress(Step("fetch file export", 6, 6, "employees"))
        progress(Step("apply", 0, 2, note="teams"))
        progress(Step("apply", 1, 2, note="teams"))
        progress(Step("apply", 2, 2, note="members"))
    assert stream.getvalue().splitlines() == [
        "fetch file export  6/6 employees",
        "apply teams  0/2",
        "apply members  2/2",
    ]


def test_a_run_that_stops_half_way_shows_where_it_stopped():
    clock = Clock()
    progress, stream = line(False, clock)
    try:
        with progress:
            progress(Step("apply", 0, 10, note="teams"))
            progress(Step("apply", 4, 10, note="members"))
            raise RuntimeError("the platform went away")
    except RuntimeError:
        pass
    assert stream.getvalue().splitlines()[-1] == "apply members  4/10"


def test_quiet_prints_nothing():
    stream = io.StringIO()
    with ProgressLine(stream, live=True, enabled=False) as progress:
        progress(Step("apply", 0, 2))
        progress(Step("apply", 2, 2))
    assert stream.getvalue() == ""
