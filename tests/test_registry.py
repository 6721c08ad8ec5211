"""The plugin registry: entry points, lazy variants and failures that stay contained."""

from __future__ import annotations

import pytest

from kernbench.errors import UsageError
from kernbench.family import Family
from kernbench.problem import ProblemParam
from kernbench.registry import Plugin, Registry


class OtherFamily(Family):
    name = "other"
    params = (ProblemParam("n", int),)

    def make_inputs(self, problem, dtype, device, seed):  # type: ignore[no-untyped-def]
        raise NotImplementedError

    def reference(self, problem, inputs):  # type: ignore[no-untyped-def]
        raise NotImplementedError

    def flops(self, problem):  # type: ignore[no-untyped-def]
        return 0.0

    def min_bytes(self, problem, dtype):  # type: ignore[no-untyped-def]
        return 0.0


def test_in_tree_plugins_are_found() -> None:
    registry = Registry.discover()
    assert "gemm" in registry.families
    names = {v.name for v in registry.variants("gemm")}
    assert {"torch_matmul", "triton_naive"} <= names
    assert registry.variant("torch_matmul").baseline
    assert [b.name for b in registry.baselines("gemm")].count("torch_matmul") == 1


def test_broken_variant_is_reported_by_name_and_others_still_load() -> None:
    registry = Registry.discover()
    registry.add(Plugin(variants={"broken": "no_such_module_kernbench:build"}))
    loaded = registry.variants("gemm")
    assert "broken" in registry.failures
    assert "ModuleNotFoundError" in registry.failures["broken"]
    assert any(v.name == "triton_naive" for v in loaded)
    with pytest.raises(UsageError, match="broken"):
        registry.variant("broken")


def test_unknown_names_are_usage_errors() -> None:
    registry = Registry.discover()
    with pytest.raises(UsageError, match="unknown family"):
        registry.family("nope")
    with pytest.raises(UsageError, match="unknown variant"):
        registry.variant("nope")
    registry.add(OtherFamily())
    with pytest.raises(UsageError, match="belongs to"):
        registry.select("other", ["triton_naive"])


def test_duplicate_names_are_refused() -> None:
    registry = Registry.discover()
    with pytest.raises(ValueError, match="twice"):
        registry.add(Plugin(variants={"triton_naive": "kernbench_kernels.gemm.triton_naive:build"}))


def test_a_variant_asked_for_by_name_that_fails_to_load_is_a_usage_error_and_recorded() -> None:
    """``bench -v NAME`` asks for one variant before any listing: its failure must be the same
    one line ``list`` gives, recorded like the others."""
    registry = Registry()
    registry.add_reference("tests.plugins_faulty:BROKEN")
    with pytest.raises(UsageError, match="'toy_typo' failed to load: AttributeError"):
        registry.select("toy", ["toy_typo"])
    assert registry.failures["toy_typo"].startswith("AttributeError")
    assert [v.name for v in registry.variants("toy")] == ["toy_torch"]
    assert "unknown parameter(s) ['GROUP_SIZE_M']" in registry.failures["toy_bad_default"]
    assert "\n" not in registry.failures["toy_bad_default"]
