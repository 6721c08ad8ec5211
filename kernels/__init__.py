"""kernbench's in-tree kernels, installed as ``kernbench_kernels`` (``kernels`` on PyPI is another project)."""
