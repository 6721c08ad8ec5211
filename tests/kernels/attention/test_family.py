"""The paged-attention family: parsing, bad input, shuffled allocation, reference, cost model."""

from __future__ import annotations

import itertools
import math

import pytest
import torch
from kernbench_kernels.attention.cache import allocate, context_lengths, suffix_lengths
from kernbench_kernels.attention.family import PAGED_ATTENTION as F

from kernbench.errors import UsageError
from tests.helpers import run_cli


def test_defaults_are_llama3_8b_heads() -> None:
    p = F.parse("batch=4,context=100")
    assert (p["q_heads"], p["kv_heads"], p["head_dim"], p["block_size"], p["layout"]) == (
        32,
        8,
        128,
        16,
        "nhd",
    )
    assert F.scale(p) == pytest.approx(1 / math.sqrt(128))
    assert F.scale(F.parse("batch=1,context=4,scale=0.5")) == 0.5


@pytest.mark.parametrize(
    "text, words",
    [
        ("batch=2,context=8,q_heads=6,kv_heads=4", "must divide"),
        ("batch=2", "context"),
        ("batch=2,context=8,head_dim=96", "head_dim"),
        ("batch=2,context=8,block_size=4", "block_size"),
        ("batch=2,context=8,layout=nchw", "layout"),
        ("batch=2,context=8,lengths=zipf", "lengths"),
        ("batch=2,lengths=3/0", "lengths"),
        ("batch=3,lengths=3/4", "batch=3"),
        ("batch=2,context=9,lengths=3/4", "context=9"),
        ("batch=2,context=8,shared_prefix=20", "multiple of block_size"),
    ],
)
def test_bad_problems_are_usage_errors(text: str, words: str) -> None:
    with pytest.raises(UsageError, match=words):
        F.parse(text)


def test_bad_problem_on_the_command_line_is_one_line_and_exit_2(tmp_path: object) -> None:
    res = run_cli(
        "bench",
        "paged_attention",
        "--device",
        "cpu",
        "-s",
        "batch=2,context=8,q_heads=6,kv_heads=4",
        "--out",
        str(tmp_path),
    )
    assert res.returncode == 2
    assert "must divide" in res.stderr and "Traceback" not in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1


def test_length_distributions() -> None:
    base = "batch=64,context=1000"
    assert suffix_lengths(F.parse(base)) == [1000] * 64
    rand = suffix_lengths(F.parse(base + ",lengths=random"))
    assert min(rand) >= 1 and max(rand) <= 1000 and len(set(rand)) > 10
    tail = suffix_lengths(F.parse(base + ",lengths=longtail"))
    assert max(tail) == 1000 and sorted(tail)[32] < 250
    one = suffix_lengths(F.parse(base + ",lengths=one_long"))
    assert sorted(one) == [31] * 63 + [1000]
    assert suffix_lengths(F.parse(base + ",lengths=random,lengths_seed=1")) != rand
    assert context_lengths(F.parse("batch=2,lengths=5/1,block_size=8,shared_prefix=16")) == [21, 17]


def test_blocks_are_shuffled_and_prefix_blocks_shared() -> None:
    p = F.parse("batch=8,context=100,lengths=random,block_size=8,shared_prefix=32")
    alloc = allocate(p, seed=3)
    lens = context_lengths(p)
    used = [row[: math.ceil(n / 8)] for row, n in zip(alloc.tables, lens, strict=True)]
    assert all(row[:4] == used[0][:4] for row in used)  # the prefix's physical blocks
    own = [b for row in used for b in row[4:]]
    assert len(set(own)) == len(own) and not set(own) & set(used[0][:4])
    flat = used[0][:4] + own
    assert flat != sorted(flat)
    steps = sum(1 for a, b in itertools.pairwise(flat) if b == a + 1)
    assert steps < len(flat) // 4  # not merely rotated: neighbours are rarely consecutive
    assert max(flat) < alloc.pool and allocate(p, seed=4).tables != alloc.tables


def test_two_blocks_are_never_in_order() -> None:
    p = F.parse("batch=1,context=2,block_size=1")
    for seed in range(20):
        table = allocate(p, seed).tables[0]
        assert table[0] > table[1]


def test_inputs_are_random_and_tables_int32() -> None:
    p = F.parse("batch=2,context=20,q_heads=4,kv_heads=2,head_dim=64,block_size=8,layout=hnd")
    inputs = F.make_inputs(p, "fp16", "cpu", 0)
    assert inputs["k_cache"].shape[1:] == (2, 8, 64)
    assert inputs["block_tables"].dtype == torch.int32 and inputs["context_lens"].tolist() == [
        20,
        20,
    ]
    for name in ("q", "k_cache", "v_cache"):
        assert (inputs[name] != 0).float().mean() > 0.99


def test_reference_matches_attention_written_out() -> None:
    p = F.parse(
        "batch=2,lengths=3/9,q_heads=4,kv_heads=2,head_dim=64,block_size=8,layout=hnd,scale=0.3"
    )
    inputs = F.make_inputs(p, "fp16", "cpu", 1)
    ref = F.reference(p, inputs)["out"]
    for b, n in enumerate((3, 9)):
        blocks = inputs["block_tables"][b].tolist()
        for h in range(4):
            kvh = h // 2
            ks = torch.stack(
                [inputs["k_cache"][blocks[t // 8], kvh, t % 8] for t in range(n)]
            ).double()
            vs = torch.stack(
                [inputs["v_cache"][blocks[t // 8], kvh, t % 8] for t in range(n)]
            ).double()
            w = torch.softmax(0.3 * ks @ inputs["q"][b, h].double(), dim=0)
            torch.testing.assert_close(ref[b, h], w @ vs)


def test_cost_model() -> None:
    p = F.parse("batch=4,context=1000,block_size=16")
    kv = 2 * 4 * 1000 * 8 * 128 * 2
    assert F.min_bytes(p, "bf16") == kv + 2 * 4 * 32 * 128 * 2 + 4 * 4 * 63 + 4 * 4
    assert F.flops(p) == 4 * 32 * 128 * 4000
    shared = F.parse("batch=4,context=100,block_size=16,shared_prefix=1024")
    assert F.min_bytes(shared, "fp16") == (
        2 * (1024 + 400) * 8 * 128 * 2 + 2 * 4 * 32 * 128 * 2 + 4 * 4 * math.ceil(1124 / 16) + 4 * 4
    )
    assert F.flops(shared) == 4 * 32 * 128 * 4 * 1124


def test_presets_parse_and_fit() -> None:
    for name in F.presets:
        problems = F.preset(name)
        assert problems, name
    grid = F.preset("shared-prefix")
    assert len(grid) == 64 and {p.int("shared_prefix") for p in grid} == {1024, 4096, 16384, 32768}
    assert {p.int("context") for p in F.preset("llama3-8b")} >= {128, 32768, 65536, 131072}
    assert F.default_preset in F.presets and F.cpu_preset in F.presets
