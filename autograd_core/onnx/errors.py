"""The exceptions of `autograd_core.onnx` (PyTorch's ``torch.onnx.errors``)."""


class OnnxExporterError(RuntimeError):
    """The model could not be written as ONNX."""


class UnsupportedOperatorError(OnnxExporterError):
    """The model's forward uses an operation the exporter has no ONNX translation for."""
