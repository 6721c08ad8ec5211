"""kernbench's pytest plugin (registered through the ``pytest11`` entry point).

The ``kernbench_benchmark`` fixture times a kernel launch the way ``kernbench bench`` does
(CUDA events on a side stream, L2 flush for cold samples, CUDA-graph batches for short
kernels, time-budgeted warm-up, the noise-aware stopping rule, throttled samples dropped)
and hands the per-launch samples to pytest-benchmark's own fixture. So pytest-benchmark
saves, compares and fails (``--benchmark-autosave``, ``--benchmark-compare-fail=median:5%``)
on GPU kernel times instead of Python wall-clock around an asynchronous launch.

On the CPU device the same fixture works (wall clock), and every record says in
``extra_info["kernbench"]`` that its timings are not GPU performance.

This module is imported by every pytest run in the environment: it imports nothing heavy
until the fixture is used.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from .device import Device
    from .measure.settings import MeasureSettings
    from .measure.stats import Summary

EXTRA_KEY = "kernbench"  # the key kernbench.analyse.pytest_json reads back
_CPU_USED = pytest.StashKey[bool]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("kernbench", "kernbench kernel timing (kernbench_benchmark fixture)")
    group.addoption(
        "--kernbench-device",
        default="auto",
        help="device for kernbench_benchmark: auto (cuda when visible), cuda, cpu, emu[:ARCH]",
    )
    group.addoption(
        "--kernbench-cache",
        default="auto",
        choices=("auto", "cold", "hot"),
        help="cold flushes L2 before each sample; auto: the family's choice, cold for a bare launch",
    )
    group.addoption(
        "--kernbench-max-time",
        type=float,
        default=None,
        help="seconds of sampling per benchmark at most",
    )
    group.addoption(
        "--kernbench-target-noise",
        type=float,
        default=None,
        help="stop once the median's CI half-width is under this fraction",
    )


class KernelBenchmark:
    """Measures one launch per test with kernbench's method and records it in pytest-benchmark."""

    def __init__(
        self, benchmark: Any, device: Device, settings: MeasureSettings, config: pytest.Config
    ) -> None:
        self.benchmark = benchmark
        self.device = device
        self.settings = settings
        self._config = config
        self.counted: dict[str, Any] = {}
        """On ``--kernbench-device emu``, after :meth:`variant`: what the PTX emulator
        counted (``counters``, ``per_output``, ``hot_lines``; see
        :mod:`kernbench.emulator.counters`). Exact: assert on it directly, or with
        :meth:`expect_counted`."""

    def __call__(
        self,
        launch: Callable[[], object],
        *,
        cache: str | None = None,
        family: str = "",
        dtype: str = "",
    ) -> Summary:
        """Time ``launch`` (a zero-argument callable that launches the kernel); returns the summary.

        The test checks the result itself: a bare callable has no reference to compare with.
        """
        from .measure.run import time_launch

        self._claim("kernbench_benchmark(...)")
        if self.benchmark.disabled:  # --benchmark-disable: run once, record nothing
            return self._once(launch)
        settings = replace(self.settings, cache=cache or self.settings.cache).resolved(
            memory_bound=True
        )
        try:
            # The same timer choice, clock monitor and sampling loop as `kernbench bench`; a bare
            # callable has no input sets to rotate, so cold short kernels are flushed per launch.
            run, method = time_launch(self.device, settings, launch)
        except Exception:
            self.benchmark.has_error = True
            raise
        method["throttled_samples"] = len(run.throttled)
        return self._record(
            run.good or run.samples, method, settings, run.decision.noisy, family, dtype
        )

    def variant(
        self,
        family: str,
        variant: str,
        shape: str,
        dtype: str | None = None,
        config: dict[str, Any] | None = None,
    ) -> Summary:
        """Gate (against the family's reference) and time an installed variant, as ``kernbench bench`` does."""
        from .errors import UsageError
        from .measure.outcome import Status
        from .measure.run import Candidate
        from .measure.runner import InProcessRunner
        from .measure.stats import summarize
        from .registry import Registry

        self._claim("kernbench_benchmark.variant(...)")
        registry = Registry.discover()
        try:
            fam = registry.family(family)
            var = registry.variant(variant)
            problem = fam.parse(shape)
        except UsageError as exc:
            self.benchmark.has_error = True
            pytest.fail(str(exc), pytrace=False)
        why = var.unavailable(self.device)
        if why:
            self.benchmark.skipped = True
            pytest.skip(f"{variant}: {why}")
        dtype = dtype or (fam.default_dtype if self.device.is_gpu else fam.cpu_dtype)
        if not var.supports_dtype(dtype):
            self.benchmark.has_error = True
            pytest.fail(f"{variant} does not support {dtype}", pytrace=False)
        cfg = dict(config) if config is not None else dict(var.default_configs()[0])
        settings = self.settings.resolved(fam.memory_bound)
        cand = Candidate(family, variant, problem.key, dtype, cfg)
        if self.benchmark.disabled:
            settings = replace(
                settings, min_samples=1, min_time_s=0.0, max_time_s=0.0, warmup_max_s=0.0
            )
        outcome = InProcessRunner(registry, self.device, settings).measure(cand)
        if outcome.status != Status.OK:
            self.benchmark.has_error = True
            pytest.fail(
                f"{variant} {problem.key} {dtype}: {outcome.status}: {outcome.message}",
                pytrace=False,
            )
        self.counted = dict(outcome.method.get("emulator", {}))
        if self.benchmark.disabled:
            return summarize(outcome.samples, settings.confidence)
        dropped = set(outcome.throttled)
        good = [s for i, s in enumerate(outcome.samples) if i not in dropped]
        method = {**outcome.method, "error": outcome.error, "config": cfg, "problem": problem.key}
        return self._record(good, method, settings, outcome.noisy, family, dtype)

    def expect_counted(self, tolerance: float = 0.0, **expected: float) -> None:
        """Fail the test when a counted metric is worse than ``expected`` by more than
        ``tolerance`` (relative), in the direction that metric counts as worse (e.g.
        ``expect_counted(shared_bank_conflicts=0, lane_efficiency=1.0)``); metrics
        ``kernbench compare`` does not gate must match exactly. Per-output metrics are
        named ``per_output.NAME``."""
        from .analyse.counted import BY_KEY

        if not self.counted:
            pytest.fail("no counters: use variant(...) on --kernbench-device emu", pytrace=False)
        bad = []
        for name, want in expected.items():
            source = self.counted.get("counters", {})
            key = name
            if name.startswith("per_output."):
                source, key = self.counted.get("per_output", {}), name.split(".", 1)[1]
            if key not in source:
                bad.append(f"{name}: not counted")
                continue
            got, limit = float(source[key]), abs(want) * tolerance
            better = BY_KEY[key].better if key in BY_KEY else "none"
            worse = (
                got > want + limit
                if better == "lower"
                else got < want - limit
                if better == "higher"
                else abs(got - want) > limit
            )
            if worse:
                bad.append(f"{name}: counted {got:g}, expected {want:g} ({better} is better)")
        if bad:
            pytest.fail("counted metrics: " + "; ".join(bad), pytrace=False)

    def _claim(self, mode: str) -> None:
        """One measurement per test, as pytest-benchmark's fixture allows; checked before any work."""
        bench = self.benchmark
        if bench._mode:
            bench.has_error = True
            raise RuntimeError(f"the benchmark fixture was already used in {bench._mode} mode")
        if not hasattr(bench, "_make_stats"):  # guards against a pytest-benchmark rewrite
            raise RuntimeError("this pytest-benchmark version has no BenchmarkFixture._make_stats")
        bench._mode = mode

    def _once(self, launch: Callable[[], object]) -> Summary:
        """One synchronised wall-clock launch, returned but never recorded (``--benchmark-disable``)."""
        import time

        from .measure.stats import summarize

        sync = _synchronize if self.device.is_gpu else (lambda: None)
        sync()
        start = time.perf_counter()
        launch()
        sync()
        return summarize([time.perf_counter() - start], self.settings.confidence)

    def _record(
        self,
        samples: list[float],
        method: dict[str, Any],
        settings: MeasureSettings,
        noisy: bool,
        family: str,
        dtype: str,
    ) -> Summary:
        """Fill pytest-benchmark's stats with our per-launch samples (one launch per round)."""
        from .device import timing_note
        from .measure.stats import summarize

        bench = self.benchmark
        gpu = self.device.is_gpu
        bench.extra_info[EXTRA_KEY] = {
            "timing_kind": self.device.timing_kind,
            "gpu_performance": gpu,
            "note": "" if gpu else timing_note(self.device.timing_kind),
            "device": self.device.as_dict(),
            "device_identity": self.device.identity(),
            "method": method,
            "settings": settings.as_dict(),
            "noisy": noisy,
            "family": family,
            "dtype": dtype,
        }
        stats = bench._make_stats(1)
        stats.options = {
            "timer": method.get("timer", ""),
            "cache": settings.cache,
            "min_time": settings.min_time_s,
            "max_time": settings.max_time_s,
            "target_rel_ci": settings.target_rel_ci,
            "min_rounds": settings.min_samples,
        }
        for s in samples:
            stats.update(s)
        if not gpu:
            self._config.stash[_CPU_USED] = True
        return summarize(samples, settings.confidence)


def _synchronize() -> None:
    import torch

    torch.cuda.synchronize()


@pytest.fixture(scope="session")
def kernbench_device(pytestconfig: pytest.Config) -> Device:
    """The device every kernbench_benchmark of the session measures on."""
    from . import device as devices
    from .errors import UsageError

    try:
        return devices.activate(pytestconfig.getoption("kernbench_device"))
    except UsageError as exc:
        raise pytest.UsageError(f"--kernbench-device: {exc}") from None


@pytest.fixture
def kernbench_benchmark(
    benchmark: Any, kernbench_device: Device, pytestconfig: pytest.Config
) -> Iterator[KernelBenchmark]:
    """``kernbench_benchmark(launch)`` or ``kernbench_benchmark.variant("gemm", "triton_naive", "512x512x512")``."""
    from .config import load
    from .measure.settings import QUICK, MeasureSettings, min_samples_to_decide

    settings = MeasureSettings() if kernbench_device.is_gpu else QUICK
    changes: dict[str, Any] = {
        "cache": pytestconfig.getoption("kernbench_cache"),
        "isolate": False,
        # Enough samples for `kernbench compare` to be able to call a change significant.
        "min_samples": max(settings.min_samples, min_samples_to_decide(load().alpha)),
    }
    if pytestconfig.getoption("kernbench_max_time") is not None:
        changes["max_time_s"] = pytestconfig.getoption("kernbench_max_time")
    if pytestconfig.getoption("kernbench_target_noise") is not None:
        changes["target_rel_ci"] = pytestconfig.getoption("kernbench_target_noise")
    yield KernelBenchmark(benchmark, kernbench_device, replace(settings, **changes), pytestconfig)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    if config.stash.get(_CPU_USED, False):
        from .device import CPU_TIMING_NOTE

        terminalreporter.write_line(
            f"kernbench: {CPU_TIMING_NOTE} (kernbench_benchmark ran on the CPU device)", yellow=True
        )
