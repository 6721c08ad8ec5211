"""``kernbench compare`` and ``kernbench baseline`` as a CI job uses them: exit codes and outputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kernbench.cli.main import main
from kernbench.store import open_store
from tests.analyse.synthetic import CPU, record, samples
from tests.helpers import run_cli


def slower(factor: float, **kw: float) -> list[float]:
    return [s * factor for s in samples(seed=7, **kw)]  # type: ignore[arg-type]


def make_store(path: Path, *records) -> Path:
    store = open_store(path)
    store.add_many(records)
    store.close()
    return path


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    """Each test runs where no pyproject.toml sets thresholds, unless it writes one."""
    monkeypatch.chdir(tmp_path)


def stores(tmp_path: Path, base: list, cand: list) -> tuple[str, str]:
    return (str(make_store(tmp_path / "base", *base)), str(make_store(tmp_path / "cand", *cand)))


def test_ten_percent_slowdown_exits_1(tmp_path, capsys) -> None:
    base, cand = stores(tmp_path, [record(data=samples(seed=1))], [record(data=slower(1.10))])
    assert main(["compare", base, cand]) == 1
    out = capsys.readouterr().out
    assert "slower" in out and "FAIL: 1 regression" in out


def test_noise_only_exits_0(tmp_path, capsys) -> None:
    base, cand = stores(tmp_path, [record(data=samples(seed=1))], [record(data=samples(seed=2))])
    assert main(["compare", base, cand]) == 0
    assert "1 unchanged" in capsys.readouterr().out


def test_noisy_pair_passes_with_advice(tmp_path, capsys) -> None:
    base, cand = stores(
        tmp_path,
        [record(data=samples(rel_noise=0.4, n=12, seed=3))],
        [record(data=slower(1.10, rel_noise=0.4, n=12))],
    )
    assert main(["compare", base, cand]) == 0
    out = capsys.readouterr().out
    assert "1 noisy" in out and "measure longer" in out


def test_three_percent_under_five_percent_threshold_passes(tmp_path) -> None:
    base, cand = stores(tmp_path, [record(data=samples(seed=1))], [record(data=slower(1.03))])
    assert main(["compare", base, cand, "--threshold", "5%"]) == 0
    assert main(["compare", base, cand, "--threshold", "1%"]) == 1


def test_missing_and_extra_records_listed_in_markdown(tmp_path, capsys) -> None:
    base, cand = stores(
        tmp_path, [record("kept"), record("dropped")], [record("kept"), record("added")]
    )
    out_file = tmp_path / "summary.md"
    code = main(
        [
            "compare",
            base,
            cand,
            "--format",
            "markdown",
            "--report-url",
            "https://ci.example/report",
            "-o",
            str(out_file),
        ]
    )
    assert code == 0
    text = capsys.readouterr().out
    assert "**Only in baseline** (1):" in text and "dropped" in text
    assert "**Only in candidate** (1):" in text and "added" in text
    assert "[Full report](https://ci.example/report)" in text
    assert "| verdict |" in text and out_file.read_text().strip() == text.strip()


def test_json_output_for_scripts(tmp_path, capsys) -> None:
    base, cand = stores(tmp_path, [record(data=samples(seed=1))], [record(data=slower(1.10))])
    assert main(["compare", base, cand, "--format", "json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["gate"] == "fail" and doc["counts"]["slower"] == 1 and doc["gpu_performance"] is True
    (pair,) = doc["pairs"]
    assert pair["verdict"] == "slower" and pair["ci_low"] > 1.05 and pair["p_value"] < 0.002


def test_different_gpu_refused_unless_forced(tmp_path, capsys) -> None:
    h200 = {"kind": "cuda", "name": "NVIDIA H200", "driver": "550.54.15", "timing_kind": "gpu"}
    base, cand = stores(
        tmp_path, [record(data=samples(seed=1))], [record(data=slower(1.10), device=h200)]
    )
    assert main(["compare", base, cand]) == 2
    err = capsys.readouterr().err
    assert (
        "different GPUs or drivers" in err
        and "--force" in err
        and len(err.strip().splitlines()) == 1
    )
    assert main(["compare", base, cand, "--force"]) == 1
    assert "different devices" in capsys.readouterr().out


def test_thresholds_from_pyproject(tmp_path, capsys) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.kernbench]\nthreshold = "5%"\n[tool.kernbench.thresholds]\ngemm = "2%"\ntriton_naive = "15%"\n'
    )
    base, cand = stores(
        tmp_path,
        [record("triton_naive", data=samples(seed=1))],
        [record("triton_naive", data=slower(1.10))],
    )
    assert main(["compare", base, cand]) == 0  # the variant's 15% wins over the family's 2%
    base, cand = stores(
        tmp_path, [record("cutlass", data=samples(seed=1))], [record("cutlass", data=slower(1.03))]
    )
    assert main(["compare", base, cand]) == 1  # the family's 2% applies
    assert (
        main(["compare", base, cand, "--threshold", "50%"]) == 1
    )  # --threshold sets only the default


def test_cpu_records_labelled_in_every_format(tmp_path, capsys) -> None:
    base, cand = stores(tmp_path, [record(device=CPU)], [record(device=CPU)])
    for fmt in ("table", "markdown", "json"):
        assert main(["compare", base, cand, "--format", fmt]) == 0
        assert "not GPU performance" in capsys.readouterr().out


@pytest.mark.parametrize(
    "make_bad", ["missing", "corrupt", "unknown_json", "bad_threshold", "no_baseline"]
)
def test_bad_input_exits_2_with_one_line(tmp_path, capsys, make_bad) -> None:
    good = str(make_store(tmp_path / "good", record()))
    args = ["compare", good, good]
    if make_bad == "missing":
        args[1] = str(tmp_path / "nowhere.sqlite3")
    elif make_bad == "corrupt":
        (tmp_path / "junk.sqlite3").write_text("not a database\n" * 100)
        args[1] = str(tmp_path / "junk.sqlite3")
    elif make_bad == "unknown_json":
        (tmp_path / "other.json").write_text('{"hello": 1}')
        args[1] = str(tmp_path / "other.json")
    elif make_bad == "bad_threshold":
        args += ["--threshold", "fast"]
    else:
        args[1] = "baseline:nope"
    assert main(args) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_baseline_save_list_and_gate(tmp_path, capsys) -> None:
    out = tmp_path / "results"
    make_store(
        out,
        record(data=samples(median_s=300e-6, seed=0)),
        record(data=samples(seed=1)),
        record("broken", status="wrong_result"),
    )
    assert main(["baseline", "save", "main", "--store", str(out)]) == 0
    doc = json.loads((out / "baselines" / "main.json").read_text())
    assert doc["format"] == "kernbench-baseline" and doc["version"] == 1
    (saved,) = doc["records"]  # the latest ok record per config only
    assert (
        saved["samples"] == samples(seed=1)
        and saved["device"]["name"]
        and doc["provenance"]["command"]
    )
    assert main(["baseline", "list", "--store", str(out)]) == 0
    assert "main" in capsys.readouterr().out
    cand = make_store(tmp_path / "pr", record(data=slower(1.10)))
    assert main(["compare", "baseline:main", str(cand), "--store", str(out)]) == 1
    assert main(["compare", str(out / "baselines" / "main.json"), str(cand)]) == 1


def test_baseline_save_refuses_bad_name_and_empty_store(tmp_path) -> None:
    out = tmp_path / "results"
    assert main(["baseline", "save", "../escape", "--store", str(out)]) == 2
    make_store(out, record(status="crash"))
    assert main(["baseline", "save", "main", "--store", str(out)]) == 2
    assert main(["baseline", "save", "all", "--all", "--store", str(out)]) == 0


def test_exit_code_of_the_installed_command(tmp_path) -> None:
    """What a CI step sees: the process exits 1 on a regression."""
    base, cand = stores(tmp_path, [record(data=samples(seed=1))], [record(data=slower(1.10))])
    result = run_cli("compare", base, cand, "--format", "markdown", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert "**slower**" in result.stdout


def test_compare_baseline_main_needs_no_options(tmp_path, capsys) -> None:
    """``baseline:NAME`` is found under --store (default results/), and the candidate defaults
    to that store: the CI job of the README is two plain commands."""
    make_store(tmp_path / "results", record(data=samples(seed=1)))
    assert main(["baseline", "save", "main"]) == 0
    assert "kernbench compare baseline:main" in capsys.readouterr().out
    make_store(tmp_path / "results", record(data=slower(1.10)))  # a later, slower run
    assert main(["compare", "baseline:main"]) == 1
    assert "FAIL: 1 regression" in capsys.readouterr().out


EMU = {"kind": "emu", "name": "PTX emulator sm_80 on CPU", "timing_kind": "emulated"}


def emulated(conflicts: int, wall: float, **more: float) -> object:
    """An emulated record: one wall-time sample (never decisive) and hand-set counters."""
    rec = record("cuda_vectorized", data=[wall], device=EMU)
    counters = {
        "warp_instructions": 6500.0,
        "shared_bank_conflicts": float(conflicts),
        "lane_efficiency": 1.0,
        **more,
    }
    rec.method = {"timer": "emulator", "emulator": {"counters": counters}}
    return rec


def test_emulated_records_are_gated_on_their_counts(tmp_path, capsys) -> None:
    """One sample a side could never decide a timing test (undecided, exit 1); counted
    metrics decide instead: more bank conflicts are worse whatever the wall time did."""
    base, cand = stores(tmp_path, [emulated(0, 2.0)], [emulated(128, 1.0)])
    assert main(["compare", base, cand]) == 1
    out = capsys.readouterr().out
    assert "worse" in out and "shared_bank_conflicts" in out and "counted regression" in out
    same_base, same = stores(tmp_path / "same", [emulated(0, 2.0)], [emulated(0, 5.0)])
    assert main(["compare", same_base, same]) == 0
    assert "unchanged" in capsys.readouterr().out


def test_counter_tolerance_lets_a_declared_change_through(tmp_path, capsys) -> None:
    more = {"warp_instructions": 6600.0}  # +1.5%
    base, cand = stores(tmp_path, [emulated(0, 1.0)], [emulated(0, 1.0, **more)])
    assert main(["compare", base, cand]) == 1
    assert main(["compare", base, cand, "--counter-tolerance", "warp_instructions=2%"]) == 0
    assert main(["compare", base, cand, "--counter-tolerance", "2%"]) == 0
    fewer = {"warp_instructions": 6000.0}
    base2, cand2 = stores(tmp_path / "b", [emulated(0, 1.0)], [emulated(0, 1.0, **fewer)])
    capsys.readouterr()
    assert main(["compare", base2, cand2, "--format", "json"]) == 0
    [pair] = json.loads(capsys.readouterr().out)["pairs"]
    assert pair["verdict"] == "better"
    [change] = pair["counted"]
    assert change["metric"] == "warp_instructions" and change["better"] == "lower"
    assert (change["baseline"], change["candidate"], change["worse"]) == (6500.0, 6000.0, False)


def test_an_unknown_counter_tolerance_is_a_usage_error(tmp_path, capsys) -> None:
    base, cand = stores(tmp_path, [emulated(0, 1.0)], [emulated(0, 1.0)])
    assert main(["compare", base, cand, "--counter-tolerance", "nosuch=2%"]) == 2
    assert "unknown metric 'nosuch'" in capsys.readouterr().err
