"""What the emulator found wrong with a launch, in compute-sanitizer's terms but exact.

Findings are collected, never raised mid-instruction: the first occurrence of each
``(kind, PTX line)`` is kept with every detail and later ones only bump its count.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

KINDS = (
    "global-out-of-bounds",
    "misaligned",
    "shared-out-of-bounds",
    "local-out-of-bounds",
    "shared-race",
    "uninitialized-shared-read",
    "async-copy-read-before-wait",
    "barrier-deadlock",
    "divergent-barrier",
    "warp-sync-mask",
    "trap",
    "instruction-budget",
    "wgmma-in-flight",
    "mbarrier-deadlock",
    "mbarrier-misuse",
    "tma-error",
    "bulk-copy-in-flight",
    "missing-proxy-fence",
)

FATAL = frozenset({"barrier-deadlock", "mbarrier-deadlock", "trap", "instruction-budget"})
"""Kinds after which the launch cannot go on meaningfully."""


@dataclass(frozen=True)
class Finding:
    """One problem, located as precisely as the PTX allows."""

    kind: str
    message: str
    kernel: str = ""
    line: int = 0
    """PTX line (1-based), 0 when not tied to an instruction."""
    instruction: str = ""
    source: str = ""
    """CUDA ``file:line`` from the PTX's ``.loc``, when it carries one."""
    thread: tuple[int, int, int] | None = None
    block: tuple[int, int, int] | None = None
    address: int | None = None
    detail: dict[str, Any] | None = None
    count: int = 1
    """How many times (threads or occurrences) this kind hit this line."""

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line else "launch"
        if self.source:
            where += f" ({self.source})"
        who = ""
        if self.thread is not None:
            who = f" thread {self.thread} block {self.block}"
        addr = f" address 0x{self.address:x}" if self.address is not None else ""
        more = f" [x{self.count}]" if self.count > 1 else ""
        text = f" `{self.instruction.strip()}`" if self.instruction else ""
        return f"{self.kind} in {self.kernel} at {where}{text}:{who}{addr}: {self.message}{more}"


class Findings:
    """The launch's findings, deduplicated per ``(kind, line)``."""

    def __init__(self) -> None:
        self._by_key: dict[tuple[str, int], Finding] = {}
        self.fatal = False

    def add(self, finding: Finding, count: int = 1) -> None:
        key = (finding.kind, finding.line)
        old = self._by_key.get(key)
        if old is None:
            self._by_key[key] = replace(finding, count=count)
        else:
            self._by_key[key] = replace(old, count=old.count + count)
        if finding.kind in FATAL:
            self.fatal = True

    def seen(self, kind: str, line: int) -> bool:
        return (kind, line) in self._by_key

    def bump(self, kind: str, line: int, count: int) -> None:
        old = self._by_key[(kind, line)]
        self._by_key[(kind, line)] = replace(old, count=old.count + count)

    def as_list(self) -> list[Finding]:
        return list(self._by_key.values())
