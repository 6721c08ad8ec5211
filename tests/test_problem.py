"""Problem parsing: the text users type on the command line."""

from __future__ import annotations

import pytest

from kernbench.errors import UsageError
from kernbench.problem import ProblemParam, parse_pairs

PARAMS = (
    ProblemParam("batch", int, minimum=1),
    ProblemParam("mode", str, "a", ("a", "b")),
    ProblemParam("scale", float, 1.0),
)


def test_pairs_with_defaults() -> None:
    p = parse_pairs(PARAMS, "fam", "batch=4")
    assert dict(p) == {"batch": 4, "mode": "a", "scale": 1.0}
    assert p.key == "batch=4,mode=a,scale=1.0"
    assert p == parse_pairs(PARAMS, "fam", "scale=1.0, batch=4")
    assert hash(p) == hash(parse_pairs(PARAMS, "fam", "batch=4"))


@pytest.mark.parametrize(
    "text, message",
    [
        ("batch=0", "at least"),
        ("batch=x", "not a valid int"),
        ("mode=c,batch=1", "not one of"),
        ("nope=1,batch=1", "unknown fam parameter"),
        ("batch", "key=value"),
        ("mode=a", "missing batch"),
        ("batch=1,batch=2", "given twice"),
    ],
)
def test_bad_problems_say_why(text: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse_pairs(PARAMS, "fam", text)
