"""An out-of-tree plugin: kernbench finds it through the ``kernbench.plugins`` entry point."""

from kernbench import Plugin

PLUGIN = Plugin(variants={"example_chunked": "kernbench_example.chunked:build"})
