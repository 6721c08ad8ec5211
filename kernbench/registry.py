"""The plugin registry: families and variants found through the ``kernbench.plugins`` group.

In-tree kernels and third-party packages register the same way. An entry point names a
:class:`Plugin` (a lazy table of ``module:attribute`` references), a :class:`Family` or a
:class:`Variant`. Nothing is imported until it is asked for, and a plugin or variant that
fails to import is recorded by name with its error instead of breaking the others.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any

from .errors import UsageError
from .family import Family
from .variant import Variant

GROUP = "kernbench.plugins"


@dataclass(frozen=True)
class Plugin:
    """A lazy table: family objects or references, and variant name -> ``module:attr``."""

    families: tuple[Family | str, ...] = ()
    variants: Mapping[str, str] = field(default_factory=dict)


def describe_failure(exc: BaseException) -> str:
    """Why a plugin or variant failed to load, in one line: the exception's type and the first
    line of its message."""
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__


def resolve(reference: str) -> Any:
    """Import ``package.module:attribute``."""
    module_name, _, attr = reference.partition(":")
    obj: Any = importlib.import_module(module_name)
    for part in filter(None, attr.split(".")):
        obj = getattr(obj, part)
    return obj


@dataclass
class Registry:
    """Everything the installed plugins provide, plus what failed to load and why."""

    families: dict[str, Family] = field(default_factory=dict)
    _variant_refs: dict[str, str | Variant] = field(default_factory=dict)
    _variants: dict[str, Variant] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)
    references: list[str] = field(default_factory=list)
    """Plugins added by reference rather than entry point; worker processes re-add them."""
    on_notice: Callable[[str], None] | None = None
    """Told when a variant loads with something to fix that does not stop it (a config
    parameter that never reaches the kernel); the commands print it. Without it (tests,
    worker processes) nothing is checked, so loading costs nothing more."""
    notices: dict[str, str] = field(default_factory=dict)

    @classmethod
    def discover(cls) -> Registry:
        registry = cls()
        for ep in entry_points(group=GROUP):
            try:
                registry.add(ep.load())
            except Exception as exc:  # a broken plugin must not break the others
                registry.failures[f"plugin {ep.name}"] = describe_failure(exc)
        return registry

    def add_reference(self, reference: str) -> None:
        """Add a plugin named ``module:attribute`` (tests and scripts without an entry point)."""
        self.add(resolve(reference))
        self.references.append(reference)

    def add(self, obj: Plugin | Family | Variant) -> None:
        if isinstance(obj, Plugin):
            for fam in obj.families:
                self.add_family(resolve(fam) if isinstance(fam, str) else fam)
            for name, ref in obj.variants.items():
                self._add_variant_ref(name, ref)
        elif isinstance(obj, Family):
            self.add_family(obj)
        elif isinstance(obj, Variant):
            self._add_variant_ref(obj.name, obj)
        else:
            raise TypeError(f"not a Plugin, Family or Variant: {obj!r}")

    def add_family(self, family: Family) -> None:
        if family.name in self.families and self.families[family.name] is not family:
            raise ValueError(f"family {family.name!r} registered twice")
        self.families[family.name] = family

    def _add_variant_ref(self, name: str, ref: str | Variant) -> None:
        if name in self._variant_refs:
            raise ValueError(f"variant {name!r} registered twice")
        self._variant_refs[name] = ref

    def family(self, name: str) -> Family:
        try:
            return self.families[name]
        except KeyError:
            known = ", ".join(sorted(self.families)) or "none installed"
            raise UsageError(f"unknown family {name!r} (known: {known})") from None

    def variant(self, name: str) -> Variant:
        if name in self._variants:
            return self._variants[name]
        if name in self.failures:
            raise UsageError(f"variant {name!r} failed to load: {self.failures[name]}")
        ref = self._variant_refs.get(name)
        if ref is None:
            known = ", ".join(sorted(self._variant_refs)) or "none installed"
            raise UsageError(f"unknown variant {name!r} (known: {known})")
        try:
            loaded = resolve(ref) if isinstance(ref, str) else ref
            if not isinstance(loaded, Variant):
                raise TypeError(f"{ref} is not a Variant")
            if loaded.name != name:
                raise ValueError(
                    f"{ref} is registered as {name!r} but names itself {loaded.name!r}"
                )
        except Exception as exc:  # a broken plugin is bad input: one line, not a traceback
            self.failures[name] = describe_failure(exc)
            raise UsageError(f"variant {name!r} failed to load: {self.failures[name]}") from None
        self._variants[name] = loaded
        if self.on_notice is not None:
            self._check(loaded)
        return loaded

    def _check(self, variant: Variant) -> None:
        from .paramcheck import idle_params

        idle = idle_params(variant)
        if idle:
            which = ", ".join(idle)
            self.notices[variant.name] = (
                f"variant {variant.name!r}: config parameter{'s' if len(idle) > 1 else ''} "
                f"{which} never reach{'' if len(idle) > 1 else 'es'} the kernel (read by neither "
                f"its plan, its launch nor its kernel): tuning {'them' if len(idle) > 1 else 'it'} measures noise"
            )
            if self.on_notice is not None:
                self.on_notice(self.notices[variant.name])

    def variants(self, family: str | None = None) -> list[Variant]:
        """Every loadable variant (of one family), loading each; failures are recorded."""
        found: list[Variant] = []
        for name in list(self._variant_refs):
            if name in self.failures:
                continue
            try:
                v = self.variant(name)
            except UsageError:  # recorded in failures
                continue
            if family is None or v.family == family:
                found.append(v)
        for v in found:
            if v.family not in self.families:
                self.failures.setdefault(v.name, f"its family {v.family!r} is not installed")
        found = [v for v in found if v.family in self.families]
        return sorted(found, key=lambda v: (v.family, v.baseline, v.order, v.name))

    def select(self, family: str, names: list[str] | None) -> list[Variant]:
        """The named variants of a family (all when ``names`` is empty)."""
        self.family(family)
        if not names:
            return self.variants(family)
        chosen = [self.variant(n) for n in names]
        for v in chosen:
            if v.family != family:
                raise UsageError(f"variant {v.name!r} belongs to {v.family!r}, not {family!r}")
        return chosen

    def baselines(self, family: str) -> list[Variant]:
        return [v for v in self.variants(family) if v.baseline]
