"""A GEMM that sums K in chunks with torch: a complete variant in a few lines."""

import torch

from kernbench import Categorical, Space, Unsupported, variant


def _few_chunks_unless_split(config):
    """chunks must not exceed 8 when split is off (all partial products are held at once)"""
    return config["split"] or config["chunks"] <= 8


@variant(
    family="gemm",
    name="example_chunked",
    language="torch",
    space=Space(
        params=(Categorical("chunks", (1, 2, 4, 8, 16)), Categorical("split", (True, False))),
        constraints=(_few_chunks_unless_split,),
    ),
    defaults=[{"chunks": 2, "split": True}],
)
def build(problem, config, inputs):
    """C = sum over K chunks of A[:, chunk] @ B[chunk, :]: with split, each chunk's product is
    added as it comes; without, all products are stacked and summed in one reduction."""
    a, b, out = inputs["a"], inputs["b"], inputs["out"]
    if inputs["beta"] != 0.0:
        raise Unsupported("example_chunked computes beta = 0 only")
    chunks = min(config["chunks"], problem["k"])
    split = bool(config["split"])
    a_parts, b_parts = a.chunk(chunks, dim=1), b.chunk(chunks, dim=0)

    def launch():
        parts = (x.float() @ y.float() for x, y in zip(a_parts, b_parts, strict=True))
        if split:
            acc = torch.zeros(out.shape, dtype=torch.float32, device=out.device)
            for part in parts:
                acc += part
        else:
            acc = torch.stack(list(parts)).sum(dim=0)
        out.copy_(acc * inputs["alpha"])

    return launch
