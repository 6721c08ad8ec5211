"""Config parameters that never reach the kernel are found by reading the code (issue 27)."""

from __future__ import annotations

from dataclasses import replace

from kernbench.paramcheck import idle_params
from kernbench.registry import Registry
from kernbench.space import Categorical, Space


def _idle_knob() -> object:
    registry = Registry()
    registry.add_reference("tests.plugins_faulty:IDLE")
    return registry.variant("toy_idle_knob")


def test_a_knob_the_launch_forgets_is_found() -> None:
    """num_stages is declared, defaulted and read by a constraint, never by plan or kernel."""
    assert idle_params(_idle_knob()) == ["num_stages"]  # type: ignore[arg-type]


def test_no_in_tree_variant_has_an_idle_parameter() -> None:
    variants = Registry.discover().variants()
    assert len(variants) > 20
    assert {v.name: idle_params(v) for v in variants if idle_params(v)} == {}


def test_a_parameter_added_to_an_in_tree_space_alone_is_found() -> None:
    """CUDA variants hand the whole config to the compiler as macros: the kernel source decides."""
    registry = Registry.discover()
    for name in ("triton_pipelined", "cuda_tuned", "triton_single_pass"):
        v = registry.variant(name)
        space = Space((*v.space.params, Categorical("UNROLL", (1, 2))), v.space.constraints)
        defaults = tuple({**d, "UNROLL": 1} for d in v.default_configs())
        assert idle_params(replace(v, space=space, defaults=defaults)) == ["UNROLL"], name


def test_the_registry_warns_once_when_such_a_variant_loads() -> None:
    told: list[str] = []
    registry = Registry(on_notice=told.append)
    registry.add_reference("tests.plugins_faulty:IDLE")
    registry.variants("toy")
    registry.variant("toy_idle_knob")
    assert len(told) == 1
    assert "'toy_idle_knob'" in told[0] and "num_stages never reaches the kernel" in told[0]


def test_the_example_plugin_has_no_idle_parameter(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Its ``split`` was read only by a constraint until this check found it."""
    from pathlib import Path

    monkeypatch.syspath_prepend(
        str(Path(__file__).resolve().parents[1] / "examples" / "kernbench-example-plugin")
    )
    registry = Registry()
    registry.add_reference("kernbench_example:PLUGIN")
    assert idle_params(registry.variant("example_chunked")) == []
