"""Config spaces: what the tuner, the static check and `kernbench list` all read."""

from __future__ import annotations

import pytest

from kernbench.space import Categorical, Int, Pow2, Space, config_key


def tiles_fit(config):
    """BLOCK_M * BLOCK_N must not exceed 8192"""
    return config["BLOCK_M"] * config["BLOCK_N"] <= 8192


SPACE = Space(
    params=(
        Pow2("BLOCK_M", 16, 128),
        Pow2("BLOCK_N", 16, 128),
        Int("stages", 1, 4),
        Categorical("swizzle", (True, False)),
    ),
    constraints=(tiles_fit,),
)


def test_parameters_enumerate_their_values() -> None:
    assert SPACE.param("BLOCK_M").values == (16, 32, 64, 128)
    assert SPACE.param("stages").values == (1, 2, 3, 4)
    assert Int("x", 0, 10, 5).values == (0, 5, 10)


def test_constraints_filter_the_product() -> None:
    valid = list(SPACE)
    assert SPACE.product_size() == 4 * 4 * 4 * 2
    assert len(valid) == SPACE.size() == (16 - 1) * 4 * 2  # only 128x128 breaks the rule
    assert all(c["BLOCK_M"] * c["BLOCK_N"] <= 8192 for c in valid)


def test_violation_names_the_rule() -> None:
    config = {"BLOCK_M": 128, "BLOCK_N": 128, "stages": 2, "swizzle": True}
    assert SPACE.violated(config) == "BLOCK_M * BLOCK_N must not exceed 8192"
    assert "not one of" in (SPACE.violated({**config, "BLOCK_M": 48}) or "")
    assert "missing" in (SPACE.violated({"BLOCK_M": 16}) or "")
    assert "unknown" in (SPACE.violated({**config, "BLOCK_N": 16, "extra": 1}) or "")


def test_bad_declarations_fail_early() -> None:
    with pytest.raises(ValueError):
        Pow2("x", 3, 16)
    with pytest.raises(ValueError):
        Int("x", 5, 1)
    with pytest.raises(ValueError):
        Categorical("x", (1, 1))


def test_config_key_is_canonical() -> None:
    assert config_key({"b": 1, "a": 2}) == config_key({"a": 2, "b": 1})
