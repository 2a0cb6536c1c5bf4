"""``torch.backends.cudnn``: the flags are accepted (there is no cuDNN here)."""

enabled = True
benchmark = False
deterministic = False
allow_tf32 = True


def is_available() -> bool:
    """False: convolution runs as im2col + cuBLAS GEMM, without cuDNN."""
    return False


def version():
    return None
