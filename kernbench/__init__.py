"""kernbench: benchmark and autotune CUDA and Triton kernels against the roofline and the best baselines.

The names a plugin author needs are importable from here.
"""

from .errors import CheckFailed, UsageError
from .family import DTYPES, Family, Inputs, Tolerance, element_size, torch_dtype
from .problem import Problem, ProblemParam
from .registry import Plugin
from .space import Categorical, Config, Int, Pow2, Space
from .tune.best import best_config
from .variant import Requirements, Unsupported, Variant, variant

__all__ = [
    "DTYPES",
    "Categorical",
    "CheckFailed",
    "Config",
    "Family",
    "Inputs",
    "Int",
    "Plugin",
    "Pow2",
    "Problem",
    "ProblemParam",
    "Requirements",
    "Space",
    "Tolerance",
    "Unsupported",
    "UsageError",
    "Variant",
    "best_config",
    "element_size",
    "torch_dtype",
    "variant",
]
