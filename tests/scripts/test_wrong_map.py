"""The wrong-element map says where an output is wrong: rows, columns and tiles."""

from __future__ import annotations

import math
import subprocess
import sys

import torch
import wrong_map

from .conftest import GPU_SCRIPTS


def test_a_bad_column_edge_and_an_unwritten_tile_are_located() -> None:
    expected = torch.randn(130, 200, dtype=torch.float64)
    out = expected.clone()
    out[:, 199] += 10.0  # the last column wrong: an N-edge bug
    out[64:128, 64:128] = math.nan  # one 64x64 tile never written
    got = wrong_map.summarise(out, expected, atol=1e-2, rtol=1e-2)
    assert got["unwritten"] == 64 * 64
    assert got["wrong"] == 64 * 64 + 130
    assert got["cols_bad"] == 64 + 1 and got["last_cols"][-1] == 199
    assert got["rows_bad"] == 130
    assert got["tiles_total"] == 3 * 4
    worst = got["worst_tiles"][0]
    assert (worst["tile_row"], worst["tile_col"], worst["bad"]) == (1, 1, 64 * 64)


def test_a_right_output_maps_to_nothing() -> None:
    expected = torch.randn(3, 5, 16, dtype=torch.float64)  # batch x heads x head_dim
    got = wrong_map.summarise(expected.to(torch.float16), expected, atol=1e-2, rtol=1e-2)
    assert got["as_matrix"] == [15, 16] and got["wrong"] == 0 and got["tiles_bad"] == 0


def test_unknown_variant_is_one_line_and_exit_2() -> None:
    proc = subprocess.run(
        [sys.executable, str(GPU_SCRIPTS / "wrong_map.py"), "gemm", "no_such", "--shape", "8x8x8",
         "--device", "cpu"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
