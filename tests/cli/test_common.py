"""Set-up every command shares: the registry the commands load warns about idle knobs."""

from __future__ import annotations

import pytest

from kernbench.cli.common import load_registry


def test_a_command_warns_in_one_line_when_a_variant_with_an_idle_parameter_loads(
    capsys: pytest.CaptureFixture[str],
) -> None:
    registry = load_registry()
    capsys.readouterr()
    registry.add_reference("tests.plugins_faulty:IDLE")
    registry.select("toy", ["toy_idle_knob"])
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if "toy_idle_knob" in ln]
    assert len(lines) == 1 and lines[0].startswith("warning: ")
    assert "num_stages never reaches the kernel" in err.replace("\n", " ")
