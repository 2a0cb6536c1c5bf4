"""Short text previews of array values, and NaN/Inf detection, for node labels.

Arrays are read through their backend (``to_numpy`` on a few elements), never with
``np.asarray``, so a GPU array is copied to the host only as far as the preview needs.
"""

from __future__ import annotations

import numpy as np

from .._backend import backend_of


def host_values(array, limit: int | None = None) -> np.ndarray:
    """The first ``limit`` elements of ``array`` (flattened, C order) as a NumPy array."""
    flat = array.reshape(-1)
    if limit is not None and flat.shape[0] > limit:
        flat = flat[:limit]
    return np.asarray(backend_of(array).to_numpy(flat))


def format_value(value) -> str:
    """One element, compactly: 4 significant digits for floats (``nan``, ``inf`` as is)."""
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (float, np.floating)):
        text = f"{float(value):.4g}"
        return "0" if text == "-0" else text
    return str(value)


def preview(array, max_items: int) -> str:
    """``[v0, v1, ..., …]``: up to ``max_items`` values (a 0-d array is shown bare)."""
    if max_items <= 0:
        return ""
    if array.ndim == 0:
        return format_value(host_values(array, 1)[0])
    values = host_values(array, max_items)
    text = ", ".join(format_value(v) for v in values.tolist())
    more = ", …" if array.size > max_items else ""
    return f"[{text}{more}]"


def has_nonfinite(array) -> bool:
    """Whether a floating-point array holds a NaN or an infinity (one device-to-host bool)."""
    if array.dtype.kind not in "fc" or array.size == 0:
        return False
    backend = backend_of(array)
    finite = backend.xp.isfinite(array).all()
    return not bool(np.asarray(backend.to_numpy(finite)))
