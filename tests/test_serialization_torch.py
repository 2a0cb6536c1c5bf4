"""Checkpoints go to PyTorch and back through safetensors, key for key: our state dict
loads with ``safetensors.torch.load_file`` + ``load_state_dict`` (strict) and computes
what our model computes; a file PyTorch writes with ``safetensors.torch.save_file`` loads
into our model and computes what PyTorch's computes."""

from __future__ import annotations

import json

import numpy as np
import pytest

import autograd_core as ag
import nn
import optim
from autograd_core.serialization import load, save

torch = pytest.importorskip("torch")
safetensors_torch = pytest.importorskip("safetensors.torch")
safetensors_numpy = pytest.importorskip("safetensors.numpy")


def build(lib):
    """The same network in either library: conv, batch norm, linear, embedding, LSTM."""

    class Net(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.features = lib.nn.Sequential(lib.nn.Conv2d(1, 3, 3), lib.nn.BatchNorm2d(3), lib.nn.ReLU(),
                                              lib.nn.Flatten(), lib.nn.Linear(3 * 4 * 4, 5))
            self.embed = lib.nn.Embedding(7, 5)
            self.lstm = lib.nn.LSTM(5, 4, num_layers=2, batch_first=True)
            self.norm = lib.nn.LayerNorm(4)

        def forward(self, image, tokens):
            feats = self.features(image)
            seq = self.embed(tokens) + feats.unsqueeze(1)
            out, _ = self.lstm(seq)
            return self.norm(out)

    return Net()


class _Ours:
    nn = nn


IMAGE = np.random.default_rng(0).standard_normal((2, 1, 6, 6)).astype(np.float32)
TOKENS = np.array([[1, 2, 3], [4, 5, 6]], dtype=np.int64)


def run_ours(model) -> np.ndarray:
    model.eval()
    with ag.no_grad():
        return model(ag.tensor(IMAGE), ag.tensor(TOKENS)).numpy()


def run_torch(model) -> np.ndarray:
    model.eval()
    with torch.no_grad():
        return model(torch.from_numpy(IMAGE), torch.from_numpy(TOKENS)).numpy()


def perturb_running_stats_ours(model) -> None:
    bn = model.features[1]
    with ag.no_grad():
        bn.running_mean.add_(0.3)
        bn.running_var.mul_(2.0)
        bn.num_batches_tracked.add_(5)


def test_our_state_dict_loads_into_pytorch_key_for_key(tmp_path):
    ag.manual_seed(0)
    ours = build(_Ours)
    perturb_running_stats_ours(ours)
    path = tmp_path / "model.safetensors"
    save(ours.state_dict(), path)
    state = safetensors_torch.load_file(path)
    theirs = build(torch)
    assert list(state) == list(theirs.state_dict())
    result = theirs.load_state_dict(state, strict=True)
    assert not result.missing_keys and not result.unexpected_keys
    assert state["features.1.num_batches_tracked"].dtype == torch.int64
    assert int(state["features.1.num_batches_tracked"]) == 5
    np.testing.assert_allclose(run_torch(theirs), run_ours(ours), rtol=1e-5, atol=1e-6)


def test_pytorch_state_dict_loads_into_our_model(tmp_path):
    torch.manual_seed(0)
    theirs = build(torch)
    with torch.no_grad():
        theirs.features[1].running_mean.add_(0.3)
        theirs.features[1].running_var.mul_(2.0)
    path = tmp_path / "torch.safetensors"
    safetensors_torch.save_file(theirs.state_dict(), path)
    state = load(path)
    ours = build(_Ours)
    assert sorted(state) == sorted(ours.state_dict())
    ours.load_state_dict(state, strict=True)
    np.testing.assert_allclose(run_ours(ours), run_torch(theirs), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", ["bool", "uint8", "int8", "int16", "int32", "int64", "float16",
                                  "float32", "float64"])
def test_every_dtype_reaches_pytorch_bit_for_bit(name, tmp_path):
    values = np.array([0, 1, 1, 0, 1, 0], dtype=bool) if name == "bool" else \
        (np.arange(-3, 3) * 7.25).astype(name) if "float" in name else np.arange(-3, 3).astype(name)
    save({"t": ag.from_numpy(values.reshape(2, 3)), "scalar": ag.tensor(values[1])}, tmp_path / "a.safetensors")
    state = safetensors_torch.load_file(tmp_path / "a.safetensors")
    assert state["t"].dtype == getattr(torch, name) and state["t"].shape == (2, 3)
    assert state["t"].numpy().tobytes() == values.reshape(2, 3).tobytes()
    assert state["scalar"].shape == () and state["scalar"].item() == values[1].item()


def test_pytorch_small_dtypes_load_as_themselves(tmp_path):
    src = {"bf16": torch.tensor([1.5, -2.25, 3.0e38, 1e-40], dtype=torch.bfloat16),
           "u8": torch.tensor([0, 255], dtype=torch.uint8), "i8": torch.tensor([-128, 127], dtype=torch.int8),
           "i16": torch.tensor([-32768, 32767], dtype=torch.int16), "half": torch.tensor([0.5], dtype=torch.float16)}
    safetensors_torch.save_file(src, tmp_path / "t.safetensors")
    out = load(tmp_path / "t.safetensors")
    assert out["bf16"].dtype == ag.bfloat16
    np.testing.assert_array_equal(out["bf16"].float().numpy(), src["bf16"].float().numpy())
    for key, dtype in (("u8", ag.uint8), ("i8", ag.int8), ("i16", ag.int16)):
        assert out[key].dtype == dtype
        assert out[key].tolist() == src[key].tolist()
    assert out["half"].dtype == ag.float16


def test_pytorch_dtypes_we_lack_are_widened_without_loss(tmp_path):
    src = {"u16": torch.tensor([0, 65535], dtype=torch.uint16), "u32": torch.tensor([0, 2**32 - 1], dtype=torch.uint32)}
    safetensors_torch.save_file(src, tmp_path / "t.safetensors")
    out = load(tmp_path / "t.safetensors")
    assert (out["u16"].dtype, out["u16"].tolist()) == (ag.int32, [0, 65535])
    assert (out["u32"].dtype, out["u32"].tolist()) == (ag.int64, [0, 2**32 - 1])


def test_nested_checkpoint_is_readable_by_the_reference_reader(tmp_path):
    """The metadata and every tensor of a nested checkpoint, through safetensors' own API."""
    from safetensors import safe_open

    model = nn.Linear(3, 2)
    opt = optim.Adam(model.parameters(), lr=0.01)
    model(ag.ones(1, 3)).sum().backward()
    opt.step()
    path = tmp_path / "ckpt.safetensors"
    save({"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 3}, path)
    with safe_open(path, framework="pt") as f:
        assert f.metadata()["format"] == "pt"
        document = json.loads(f.metadata()["autograd_core"])
        assert document["format_version"] == 2
        names = list(f.keys())
        assert "model.weight" in names and "optimizer.state.0.exp_avg" in names
        np.testing.assert_array_equal(f.get_tensor("model.weight").numpy(), model.weight.detach().numpy())
    back = load(path)
    assert back["epoch"] == 3 and back["optimizer"]["param_groups"][0]["lr"] == 0.01
    assert sorted(back["optimizer"]["state"][0]) == sorted(opt.state_dict()["state"][0])


def test_files_of_the_reference_writer_load_as_dicts(tmp_path):
    arrays = {"w": np.arange(6, dtype=np.float32).reshape(2, 3), "n": np.array(7, dtype=np.int64)}
    safetensors_numpy.save_file(arrays, tmp_path / "np.safetensors", metadata={"note": "hello"})
    out = load(tmp_path / "np.safetensors")
    assert type(out) is dict and sorted(out) == ["n", "w"]
    np.testing.assert_array_equal(out["w"].numpy(), arrays["w"])
    assert out["n"].shape == () and out["n"].item() == 7
    data = safetensors_numpy.save({"empty": np.zeros((0, 3), dtype=np.float64)})
    (tmp_path / "e.safetensors").write_bytes(data)
    assert load(tmp_path / "e.safetensors")["empty"].shape == (0, 3)
