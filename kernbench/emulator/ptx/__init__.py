"""PTX text to :mod:`~kernbench.emulator.ptx.ir`: the parser and the module's vocabulary."""
