"""Checkpoints of the small dtypes: uint8, int8, int16 and bfloat16 tensors round-trip
through our safetensors files bit for bit (as U8, I8, I16, BF16), reach PyTorch as the same
dtypes, and PyTorch's files of them load as the same dtypes here."""

from __future__ import annotations

import json
import struct

import numpy as np
import pytest

import autograd_core as ag
from autograd_core.serialization import load, save

torch = pytest.importorskip("torch")
safetensors_torch = pytest.importorskip("safetensors.torch")

NAMES = {"uint8": "U8", "int8": "I8", "int16": "I16", "bfloat16": "BF16"}


def _values(name: str) -> list:
    return {"uint8": [0, 7, 200, 255], "int8": [-128, -1, 5, 127], "int16": [-32768, 0, 300, 32767],
            "bfloat16": [1.5, -2.25, 3.0e38, 1e-40]}[name]


def _header(path) -> dict:
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        return json.loads(f.read(n))


@pytest.mark.parametrize("name", list(NAMES))
def test_round_trip_and_pytorch_reads_the_same_bits(name, tmp_path):
    t = ag.tensor(_values(name), dtype=getattr(ag, name)).reshape(2, 2)
    path = tmp_path / "a.safetensors"
    save({"t": t, "kind": getattr(ag, name), "nested": [t[0]]}, path)
    back = load(path)
    assert back["t"].dtype is t.dtype and back["kind"] is t.dtype and back["nested"][0].dtype is t.dtype
    assert back["t"].numpy().tobytes() == t.numpy().tobytes()
    saved = safetensors_torch.load_file(path)
    (key,) = [k for k, v in saved.items() if v.shape == (2, 2)]
    assert _header(path)[key]["dtype"] == NAMES[name]
    ref = torch.tensor(_values(name), dtype=getattr(torch, name)).reshape(2, 2)
    assert saved[key].dtype == ref.dtype and torch.equal(saved[key], ref)


@pytest.mark.parametrize("name", list(NAMES))
def test_a_pytorch_file_loads_with_the_same_dtype(name, tmp_path):
    ref = torch.tensor(_values(name), dtype=getattr(torch, name))
    safetensors_torch.save_file({"w": ref}, tmp_path / "t.safetensors")
    out = load(tmp_path / "t.safetensors")["w"]
    assert out.dtype is getattr(ag, name)
    np.testing.assert_array_equal(out.float().numpy(), ref.float().numpy())


def test_a_model_state_dict_in_bfloat16_loads_from_pytorch(tmp_path):
    import nn

    theirs = torch.nn.Linear(3, 2).to(torch.bfloat16)
    safetensors_torch.save_file(theirs.state_dict(), tmp_path / "m.safetensors")
    state = load(tmp_path / "m.safetensors")
    assert {k: v.dtype for k, v in state.items()} == {"weight": ag.bfloat16, "bias": ag.bfloat16}
    ours = nn.Linear(3, 2)
    ours.load_state_dict({k: v.float() for k, v in state.items()})
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    np.testing.assert_allclose(ours(ag.tensor(x)).detach().numpy(),
                               theirs.float()(torch.tensor(x)).detach().numpy(), rtol=1e-6)
