"""`nn.Module.state_dict` and `load_state_dict`: keys (equal to PyTorch's), detached shared
values, load errors (one message for every problem) and atomicity, non-strict and assign
loads, versioned checkpoints, load hooks and extra state."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest
from nn_models import Linear, Norm, _build, _values

import autograd_core as ag
import nn
from nn import Parameter


# ----------------------------------------------------------------------------- state_dict
def test_state_dict_keys_equal_pytorch():
    torch = pytest.importorskip("torch")
    ours, theirs = _build(nn, ag), _build(torch.nn, torch)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert list(ours.state_dict(prefix="net.")) == list(theirs.state_dict(prefix="net."))
    assert dict(ours.state_dict()._metadata) == dict(theirs.state_dict()._metadata)


def test_state_dict_values_are_detached_and_shared():
    m = Norm(2)
    sd = m.state_dict()
    assert isinstance(sd, OrderedDict)
    assert list(sd) == ["weight", "running_mean", "num_batches_tracked"]
    assert not sd["weight"].requires_grad and not isinstance(sd["weight"], Parameter)
    with ag.no_grad():
        m.weight.mul_(2.0)
    assert sd["weight"].tolist() == [2.0, 2.0]  # shares memory, like PyTorch
    kept = m.state_dict(keep_vars=True)
    assert kept["weight"] is m.weight
    dest = OrderedDict()
    assert m.state_dict(destination=dest, prefix="x.") is dest and list(dest)[0] == "x.weight"


def test_load_state_dict_round_trip_and_dtype_cast():
    src, dst = Linear(3, 2), Linear(3, 2)
    weight = dst.weight
    result = dst.load_state_dict(src.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert repr(result) == "<All keys matched successfully>"
    assert dst.weight is weight  # copied in place: optimisers keep working
    np.testing.assert_array_equal(_values(dst.weight), _values(src.weight))
    # float64 checkpoint values are cast to the model's float32
    state = {k: v.double() + 1.0 for k, v in src.state_dict().items()}
    dst.load_state_dict(state)
    assert dst.weight.dtype == ag.float32
    np.testing.assert_allclose(_values(dst.weight), _values(src.weight) + 1.0, rtol=1e-6)
    # the copy is not recorded, and the parameter stays a leaf
    assert dst.weight.is_leaf and dst.weight.requires_grad


def test_load_state_dict_reports_every_problem_in_one_error_and_changes_nothing():
    m = Linear(2, 3)
    before = {k: _values(v).copy() for k, v in m.state_dict().items()}
    bad = {"weight": ag.zeros(2, 3), "bias": ag.zeros(3), "extra": ag.zeros(1)}
    with pytest.raises(RuntimeError) as info:
        m.load_state_dict(bad)
    message = str(info.value)
    assert message == (
        "Error(s) in loading state_dict for Linear:\n"
        '\tUnexpected key(s) in state_dict: "extra". \n'
        "\tsize mismatch for weight: copying a param with shape [2, 3] from checkpoint, the "
        "shape in current model is [3, 2]."
    )
    # "bias" was valid, but a failed load must leave the whole model as it was
    for k, v in m.state_dict().items():
        np.testing.assert_array_equal(_values(v), before[k])

    with pytest.raises(RuntimeError) as info:
        m.load_state_dict({"bias": ag.zeros(3), "junk": ag.zeros(1)})
    lines = str(info.value).split("\n\t")
    assert lines[1] == 'Missing key(s) in state_dict: "weight". '
    assert lines[2] == 'Unexpected key(s) in state_dict: "junk". '
    np.testing.assert_array_equal(_values(m.bias), before["bias"])


def test_load_state_dict_error_message_matches_pytorch():
    torch = pytest.importorskip("torch")
    ours, theirs = _build(nn, ag), _build(torch.nn, torch)
    state = {k: v for k, v in theirs.state_dict().items() if not k.startswith("heads.b")}
    state["features.0.weight"] = torch.zeros(4, 4)
    state["bogus.weight"] = torch.zeros(1)
    with pytest.raises(RuntimeError) as theirs_error:
        theirs.load_state_dict(state)
    ours_state = {k: ag.tensor(v.numpy()) for k, v in state.items()}
    with pytest.raises(RuntimeError) as ours_error:
        ours.load_state_dict(ours_state)
    # identical but for how a shape is printed (torch.Size([4, 4]) here [4, 4])
    expected = str(theirs_error.value).replace("torch.Size(", "").replace("])", "]")
    assert str(ours_error.value) == expected


def test_load_state_dict_non_strict_returns_the_keys_but_refuses_bad_shapes():
    m = Linear(2, 3)
    keys = m.load_state_dict({"bias": ag.ones(3), "other": ag.ones(1)}, strict=False)
    assert keys.missing_keys == ["weight"] and keys.unexpected_keys == ["other"]
    assert m.bias.tolist() == [1.0, 1.0, 1.0]
    assert "missing_keys=['weight']" in repr(keys)
    with pytest.raises(RuntimeError, match="size mismatch for bias"):
        m.load_state_dict({"bias": ag.ones(4)}, strict=False)
    with pytest.raises(TypeError, match="Expected state_dict to be dict-like"):
        m.load_state_dict([("bias", ag.ones(3))])
    with pytest.raises(RuntimeError, match='copying the parameter named "bias"'):
        m.load_state_dict({"weight": ag.ones(3, 2), "bias": [1.0, 2.0, 3.0]})


def test_load_state_dict_nested_and_non_persistent_buffers():
    net = nn.Sequential(Linear(2, 2), Norm(2))
    state = net.state_dict()
    assert list(state) == ["0.weight", "0.bias", "1.weight", "1.running_mean",
                           "1.num_batches_tracked"]
    other = nn.Sequential(Linear(2, 2), Norm(2))
    with ag.no_grad():
        state["1.running_mean"].fill_(5.0)  # shared with net: net's buffer changes too
    other.load_state_dict(state)
    assert other[1].running_mean.tolist() == [5.0, 5.0]
    assert other[1].cache.tolist() == [0.0, 0.0]
    with pytest.raises(RuntimeError, match='Unexpected key.*"1.cache"'):
        other.load_state_dict({**state, "1.cache": ag.ones(2)})


def test_load_state_dict_assign_replaces_the_tensors():
    m = Linear(2, 2)
    new_w, new_b = ag.ones(2, 2), ag.zeros(2)
    m.load_state_dict({"weight": new_w, "bias": new_b}, assign=True)
    assert isinstance(m.weight, Parameter) and m.weight.requires_grad
    with ag.no_grad():
        new_w.mul_(3.0)
    assert m.weight.tolist() == [[3.0, 3.0], [3.0, 3.0]]  # the module holds the given array


def test_load_from_pytorch_state_dict_gives_the_same_outputs():
    torch = pytest.importorskip("torch")
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))

    class Tanh(nn.Module):
        def forward(self, x):
            return x.tanh()

    ours = nn.Sequential(Linear(3, 4), Tanh(), Linear(4, 2))
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict({k: ag.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    expected = theirs(torch.tensor(x)).detach().numpy()
    np.testing.assert_allclose(_values(ours(ag.tensor(x))), expected, rtol=1e-5, atol=1e-6)


def test_versioned_load_from_state_dict_converts_old_checkpoints():
    class Renamed(nn.Module):
        _version = 2  # version 1 called the parameter "w"

        def __init__(self) -> None:
            super().__init__()
            self.weight = Parameter(ag.zeros(2))

        def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict,
                                  missing_keys, unexpected_keys, error_msgs):
            version = local_metadata.get("version")
            if (version is None or version < 2) and prefix + "w" in state_dict:
                state_dict[prefix + "weight"] = state_dict.pop(prefix + "w")
            super()._load_from_state_dict(state_dict, prefix, local_metadata, strict,
                                          missing_keys, unexpected_keys, error_msgs)

    model = nn.Sequential(Renamed())
    saved = model.state_dict()
    assert saved._metadata["0"] == {"version": 2}
    model.load_state_dict({"0.w": ag.ones(2)})  # an old checkpoint without metadata
    assert model[0].weight.tolist() == [1.0, 1.0]


def test_load_hooks_and_extra_state():
    class WithExtra(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.w = Parameter(ag.zeros(1))
            self.note = "fresh"

        def get_extra_state(self):
            return {"note": self.note}

        def set_extra_state(self, state):
            self.note = state["note"]

    m = WithExtra()
    m.note = "trained"
    state = m.state_dict()
    assert list(state) == ["w", "_extra_state"]
    fresh = WithExtra()
    seen = []
    handle = fresh.register_load_state_dict_post_hook(lambda mod, keys: seen.append(keys))
    fresh.load_state_dict(state)
    assert fresh.note == "trained" and len(seen) == 1
    handle.remove()
    with pytest.raises(RuntimeError, match='Missing key.*"_extra_state"'):
        fresh.load_state_dict({"w": ag.ones(1)})

    # a post hook may excuse missing keys; the load then goes ahead
    m2 = Linear(1, 1)
    m2.register_load_state_dict_post_hook(lambda mod, keys: keys.missing_keys.clear())
    m2.load_state_dict({"weight": ag.full((1, 1), 7.0)})
    assert m2.weight.tolist() == [[7.0]]

    calls = []
    m3 = Linear(1, 1)
    m3.register_load_state_dict_pre_hook(lambda mod, sd, prefix, *rest: calls.append(prefix))
    m3.register_state_dict_pre_hook(lambda mod, prefix, keep_vars: calls.append("pre"))
    m3.register_state_dict_post_hook(lambda mod, sd, prefix, meta: sd.pop(prefix + "bias"))
    sd = nn.Sequential(m3).state_dict()
    assert list(sd) == ["0.weight"] and calls == ["pre"]
    nn.Sequential(m3).load_state_dict({"0.weight": ag.ones(1, 1)}, strict=False)
    assert calls == ["pre", "0."]
