"""``torch.backends.cuda``: the TF32 flag is accepted (CuPy reads ``CUPY_TF32`` from the
environment instead; the benchmark reports which it used)."""

from types import SimpleNamespace

matmul = SimpleNamespace(allow_tf32=False, allow_fp16_reduced_precision_reduction=True,
                         allow_bf16_reduced_precision_reduction=True)


def is_built() -> bool:
    from .. import cuda

    return cuda.is_available()
