"""The one exception a malformed checkpoint raises, and the advice for foreign files."""

from __future__ import annotations


class CheckpointError(RuntimeError):
    """A file that `autograd_core.load` refuses: empty, truncated, damaged, malformed, too
    large for its own size, written in a newer format, or not a checkpoint at all (a pickle,
    a PyTorch ``.pt`` file, a NumPy or HDF5 file, ...). The message says which and why.

    It subclasses ``RuntimeError`` (what ``torch.load`` raises for a bad file), so code
    written for PyTorch that catches ``RuntimeError`` keeps working.
    """


PICKLE_HELP = (
    "autograd_core never unpickles, because unpickling can run arbitrary code. If you trust "
    "the file, convert it once to safetensors in a Python that has torch and safetensors:\n"
    "    import torch, safetensors.torch\n"
    "    sd = torch.load(PATH, map_location='cpu', weights_only=True)\n"
    "    safetensors.torch.save_file({k: v.contiguous() for k, v in sd.items()}, 'model.safetensors')\n"
    "then autograd_core.load('model.safetensors'). For nested state (optimizer state, epochs), "
    "turn every tensor into autograd_core.tensor(t.detach().cpu().numpy()) and write the whole "
    "object with autograd_core.save(obj, 'checkpoint.safetensors')."
)


def foreign_file_message(label: str, head: bytes) -> str:
    """Why ``head`` (the first bytes of a file) is not something `load` reads."""
    if len(head) >= 2 and head[0] == 0x80 and 2 <= head[1] <= 5:
        return f"{label} looks like a pickle (e.g. a PyTorch .pt checkpoint). {PICKLE_HELP}"
    if head.startswith(b"\x93NUMPY"):
        return f"{label} is a NumPy .npy file, not a checkpoint; read it with numpy.load(path, allow_pickle=False)"
    if head.startswith(b"\x89HDF\r\n\x1a\n"):
        return f"{label} is an HDF5 file (e.g. Keras weights), not a checkpoint"
    return (f"{label} is not a checkpoint (unknown format; it starts with {head[:8]!r}, while a "
            "safetensors file starts with the 8-byte length of its JSON header followed by b'{')")
