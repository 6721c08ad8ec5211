"""A kernel the emulator catches fails through the harness with its own status and the
finding in the record, and the run goes on: the planted variant is step 1 with its K loop
running one step too far (``k <= K``), which reads past the end of A and B."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path
from typing import Any

import pytest
from kernbench_kernels.gemm import cuda_ladder, cuda_naive

from kernbench.measure.run import Candidate, measure
from kernbench.measure.settings import QUICK
from kernbench.problem import Problem
from kernbench.space import Config
from kernbench.variant import Launch, Variant, variant

CORRECT_LOOP = "for (int k = 0; k < K; ++k)"


def _naive_from(folder: Path, name: str, loop: str) -> Variant:
    """Step 1 compiled from a copy of its source in ``folder`` with its K loop ``loop``."""
    text = (cuda_ladder.HERE / cuda_naive.SOURCE).read_text()
    assert CORRECT_LOOP in text
    source = folder / cuda_naive.SOURCE
    source.write_text(text.replace(CORRECT_LOOP, loop))
    shutil.copy(cuda_ladder.HERE / cuda_ladder.COMMON_HEADER, folder)

    def plan(problem: Problem, config: Config, dtype: str) -> Any:
        return dataclasses.replace(cuda_naive.plan(problem, config, dtype), source=source)

    def build(problem: Problem, config: Config, inputs: Any) -> Launch:
        return cuda_ladder.launch_gemm(
            name, plan, cuda_naive.grid, problem, config, inputs, vector=False
        )

    return variant(
        family="gemm",
        name=name,
        language="cuda",
        space=cuda_naive.SPACE,
        defaults=[{"BLOCK_X": 32, "BLOCK_Y": 8}],
        dtypes=cuda_ladder.DTYPES,
        static_check=cuda_ladder.static_check(plan, None),
        sources=(source,),
    )(build)


@pytest.mark.slow
def test_a_finding_fails_the_candidate_with_its_status_and_message(
    registry: Any, emu: Any, tmp_path: Path
) -> None:
    (tmp_path / "bug").mkdir()
    (tmp_path / "fine").mkdir()
    planted = _naive_from(tmp_path / "bug", "naive_k_overrun", "for (int k = 0; k <= K; ++k)")
    control = _naive_from(tmp_path / "fine", "naive_copy", CORRECT_LOOP)
    for v in (planted, control):
        registry.add(v)

    def run(v: Variant) -> Any:
        cand = Candidate("gemm", v.name, "64x48x40", "fp16", dict(v.default_configs()[0]))
        return measure(registry, emu, cand, QUICK)

    caught = run(planted)
    assert caught.status == "emulator_finding", (caught.status, caught.message)
    # the kind, and the buffer it missed (A, the kernel's argument 0: its last row reads on)
    assert "global-out-of-bounds" in caught.message and "argument 0" in caught.message
    assert caught.samples == [] and caught.stats == {}  # no time to rank it by
    # the same source without the plant passes the gate: the finding is the plant's
    fine = run(control)
    assert fine.status == "ok", (fine.status, fine.message)
