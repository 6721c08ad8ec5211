"""Summaries say what happened to the candidates, in words and counts."""

from __future__ import annotations

from kernbench.measure.outcome import Status, describe


def test_timeouts_are_called_timeouts_not_a_failed_gate() -> None:
    text = describe([Status.TIMEOUT] * 4 + [Status.CRASH])
    assert text == "1 config crashed, 4 configs timed out"
    assert "gate" not in text


def test_failures_come_first_then_what_never_ran_then_passes() -> None:
    text = describe([Status.OK, Status.SKIPPED, Status.WRONG, Status.WRONG], noun="candidate")
    assert text == "2 candidates gave wrong results, 1 candidate was skipped, 1 candidate passed"


def test_every_status_has_words_and_unknown_ones_still_count() -> None:
    for status in Status.ALL:
        assert describe([status]) != f"1 config {status}"
    assert describe(["mystery"]) == "1 config mystery"
    assert describe([]) == ""
