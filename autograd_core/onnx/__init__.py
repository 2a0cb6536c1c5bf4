"""``autograd_core.onnx``: write a model as an ONNX file (PyTorch's ``torch.onnx.export``).

``export(model, args, "model.onnx", input_names=[...], output_names=[...],
dynamic_axes={...}, opset_version=18)`` runs the model once on ``args``, records the
primitives its forward applies, and writes them with the ``onnx`` package
(``pip install autograd-core[onnx]``) for ``onnxruntime`` and other ONNX runtimes.

Covered: Linear, Conv1d/2d, MaxPool/AvgPool, BatchNorm (eval), LayerNorm, Embedding, Dropout
(eval: nothing recorded), ReLU/ReLU6/Hardtanh/GELU/ELU/SELU/SiLU/Softplus/Tanh/Sigmoid/LeakyReLU/
Softmax/LogSoftmax, reshape, view, flatten, permute, transpose, expand, slicing, mean/sum/max/
amax/var/std, cat, stack, split, unbind, clamp, where, masked_fill, casts, comparisons
(``== != < <= > >=``), ``& | ^ ~`` on bool tensors, + - * / ** and matmul (so
MultiheadAttention and TransformerEncoderLayer export too). Any other
primitive raises `UnsupportedOperatorError` naming it.

As with PyTorch's tracer, the graph is the path the example input took: Python control flow,
``.item()``, sizes read with ``x.shape`` and tensors made from them are frozen as constants of
the traced run (a dynamic axis stays free through reshapes that keep it in front).
"""

try:
    import onnx as _onnx  # noqa: F401
except ImportError as error:  # pragma: no cover - the optional dependency
    raise ImportError("autograd_core.onnx needs the onnx package: pip install 'autograd-core[onnx]' "
                      "(or pip install onnx)") from error

from ._export import export, is_in_onnx_export
from .errors import OnnxExporterError, UnsupportedOperatorError

__all__ = ["export", "is_in_onnx_export", "OnnxExporterError", "UnsupportedOperatorError"]
