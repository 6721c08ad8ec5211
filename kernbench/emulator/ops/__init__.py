"""Instruction families, one module each; :mod:`.table` is their contract."""
