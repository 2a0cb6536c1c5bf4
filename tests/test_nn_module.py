"""`nn.Module`, `nn.Parameter` and the containers: registration, traversal order,
state_dict keys (equal to PyTorch's), load_state_dict errors and atomicity, hooks, modes,
dtype/device moves that keep parameter identity, zero_grad and repr."""

from __future__ import annotations

import copy
from collections import OrderedDict

import numpy as np
import pytest
from fake_cupy import fake_cuda  # noqa: F401

import autograd_core as ag
import nn
from nn import Parameter


# ----------------------------------------------------------------------------- helpers
def _values(t) -> np.ndarray:
    return np.array(t.detach().cpu().tolist())


def _build(nnlib, lib):
    """The same nested model in ``nn`` (lib=autograd_core) or ``torch.nn`` (lib=torch)."""

    class Leaf(nnlib.Module):
        def __init__(self, n_in: int, n_out: int) -> None:
            super().__init__()
            self.weight = nnlib.Parameter(lib.ones(n_out, n_in))
            self.register_parameter("bias", None)
            self.register_buffer("running", lib.zeros(n_out))
            self.register_buffer("scratch", lib.zeros(1), persistent=False)
            self.register_buffer("absent", None)

        def forward(self, x):
            return x @ self.weight.t()

        def extra_repr(self) -> str:
            return f"n_in={self.weight.shape[1]}, n_out={self.weight.shape[0]}"

    class Net(nnlib.Module):
        def __init__(self) -> None:
            super().__init__()
            self.scale = nnlib.Parameter(lib.ones(1))
            self.features = nnlib.Sequential(Leaf(2, 3), nnlib.Identity(), Leaf(3, 3))
            self.blocks = nnlib.ModuleList([Leaf(3, 3), nnlib.Sequential(Leaf(3, 4))])
            self.heads = nnlib.ModuleDict({"b": Leaf(4, 1), "a": Leaf(4, 2)})
            self.register_buffer("steps", lib.zeros((), dtype=lib.int64))
            self.extras = nnlib.ParameterList([nnlib.Parameter(lib.ones(2)), lib.zeros(3)])
            self.named = nnlib.ParameterDict(OrderedDict(z=nnlib.Parameter(lib.ones(1)),
                                                         y=nnlib.Parameter(lib.ones(2))))
            self.shared = self.features[0]  # the same module twice

        def forward(self, x):
            x = self.features(x) * self.scale
            for block in self.blocks:
                x = block(x)
            return self.heads["a"](x)

    return Net()


class Linear(nn.Module):
    """A tiny linear layer for these tests (the real layers live elsewhere)."""

    def __init__(self, n_in: int, n_out: int, bias: bool = True) -> None:
        super().__init__()
        self.weight = Parameter(ag.randn(n_out, n_in) * 0.5)
        if bias:
            self.bias = Parameter(ag.zeros(n_out))
        else:
            self.register_parameter("bias", None)

    def forward(self, x):
        out = x @ self.weight.t()
        return out + self.bias if self.bias is not None else out

    def extra_repr(self) -> str:
        return (f"in_features={self.weight.shape[1]}, out_features={self.weight.shape[0]}, "
                f"bias={self.bias is not None}")


class Norm(nn.Module):
    """Parameters plus a persistent and a non-persistent buffer (like batch norm)."""

    def __init__(self, n: int) -> None:
        super().__init__()
        self.weight = Parameter(ag.ones(n))
        self.register_buffer("running_mean", ag.zeros(n))
        self.register_buffer("num_batches_tracked", ag.tensor(0))
        self.register_buffer("cache", ag.zeros(n), persistent=False)

    def forward(self, x):
        return x * self.weight


# ----------------------------------------------------------------------------- Parameter
def test_parameter_shares_the_array_and_requires_grad():
    t = ag.tensor([1.0, 2.0])
    p = Parameter(t)
    assert isinstance(p, ag.Tensor) and isinstance(p, Parameter)
    assert p.requires_grad and p.is_leaf and p.grad_fn is None
    with ag.no_grad():
        t.mul_(3.0)
    assert p.tolist() == [3.0, 6.0]
    assert not Parameter(t, requires_grad=False).requires_grad
    empty = Parameter()
    assert tuple(empty.shape) == (0,) and empty.dtype == ag.float32


def test_parameter_from_a_non_leaf_is_a_detached_leaf():
    x = ag.ones(2, requires_grad=True)
    p = Parameter(x * 2)
    assert p.is_leaf and p.requires_grad
    (p * p).sum().backward()
    assert p.grad.tolist() == [4.0, 4.0]
    assert x.grad is None


def test_parameter_refuses_integers_and_non_tensors():
    with pytest.raises(RuntimeError, match="floating point"):
        Parameter(ag.tensor([1, 2]))
    assert Parameter(ag.tensor([1, 2]), requires_grad=False).dtype == ag.int64
    with pytest.raises(TypeError, match="must be a Tensor"):
        Parameter([1.0, 2.0])


def test_parameter_repr_matches_pytorch():
    torch = pytest.importorskip("torch")
    ours = repr(Parameter(ag.tensor([[1.0, 2.5], [3.0, 4.0]])))
    theirs = repr(torch.nn.Parameter(torch.tensor([[1.0, 2.5], [3.0, 4.0]])))
    assert ours.startswith("Parameter containing:\ntensor(")
    assert ours == theirs


def test_parameter_deepcopy_is_an_independent_parameter():
    p = Parameter(ag.tensor([1.0, 2.0]))
    p.grad = ag.ones(2)
    q = copy.deepcopy(p)
    assert type(q) is Parameter and q is not p and q.requires_grad
    assert q.tolist() == [1.0, 2.0] and q.grad is None
    with ag.no_grad():
        q.add_(1.0)
    assert p.tolist() == [1.0, 2.0]
    frozen = copy.deepcopy(Parameter(ag.ones(1), requires_grad=False))
    assert not frozen.requires_grad


# ----------------------------------------------------------------------------- registration
def test_attributes_register_parameters_buffers_and_modules():
    m = Norm(3)
    m.child = Linear(3, 2)
    m.plain = ag.zeros(2)  # a plain tensor attribute is neither a parameter nor a buffer
    assert list(m._parameters) == ["weight"]
    assert list(m._buffers) == ["running_mean", "num_batches_tracked", "cache"]
    assert list(m._modules) == ["child"]
    assert "plain" not in dict(m.named_buffers())
    assert m.running_mean is m._buffers["running_mean"]

    m.weight = None  # a declared but absent parameter
    assert m.weight is None and "weight" in m._parameters
    assert [n for n, _ in m.named_parameters()] == ["child.weight", "child.bias"]
    m.running_mean = ag.ones(3)  # replacing a buffer keeps it a buffer
    assert m._buffers["running_mean"].tolist() == [1.0, 1.0, 1.0]
    m.cache = ag.ones(3)
    assert "cache" in m._non_persistent_buffers_set

    m.child = None
    assert m._modules["child"] is None and list(m.children()) == []
    m.child = Parameter(ag.ones(1))  # a name moves to the store of its new value
    assert "child" in m._parameters and "child" not in m._modules


def test_buffer_marker_registers_a_buffer():
    m = nn.Module()
    m.stats = nn.Buffer(ag.ones(2))
    m.mask = nn.Buffer(ag.ones(2), persistent=False)
    assert set(m._buffers) == {"stats", "mask"}
    assert type(m.stats) is ag.Tensor
    assert list(m.state_dict()) == ["stats"]


def test_assigning_the_wrong_kind_to_a_registered_name_raises():
    m = Linear(2, 2)
    with pytest.raises(TypeError, match="cannot assign .* as parameter 'weight'"):
        m.weight = ag.ones(2, 2)
    m.sub = Linear(1, 1)
    with pytest.raises(TypeError, match="as child module 'sub'"):
        m.sub = 3
    m.register_buffer("buf", ag.zeros(1))
    with pytest.raises(TypeError, match="as buffer 'buf'"):
        m.buf = [1.0]


def test_registration_errors_match_pytorch():
    m = Linear(2, 2)
    with pytest.raises(KeyError, match="t contain"):
        m.register_parameter("a.b", Parameter(ag.ones(1)))
    with pytest.raises(KeyError, match="empty string"):
        m.register_parameter("", Parameter(ag.ones(1)))
    with pytest.raises(TypeError, match="parameter name should be a string"):
        m.register_parameter(1, Parameter(ag.ones(1)))
    with pytest.raises(KeyError, match="attribute 'forward' already exists"):
        m.register_parameter("forward", Parameter(ag.ones(1)))
    with pytest.raises(TypeError, match="nn.Parameter or None required"):
        m.register_parameter("w2", ag.ones(1))
    leaf = ag.ones(1, requires_grad=True)
    non_leaf = Parameter(ag.ones(1))
    non_leaf.grad_fn = (leaf * 2).grad_fn
    with pytest.raises(ValueError, match="Cannot assign non-leaf Tensor"):
        m.register_parameter("w3", non_leaf)
    with pytest.raises(KeyError, match="t contain"):
        m.register_buffer("a.b", ag.ones(1))
    with pytest.raises(TypeError, match="Tensor or None required"):
        m.register_buffer("b", 3.0)
    with pytest.raises(KeyError, match="attribute 'weight' already exists"):
        m.register_buffer("weight", ag.ones(1))
    with pytest.raises(TypeError, match="is not a Module subclass"):
        m.add_module("x", 3)
    with pytest.raises(KeyError, match="t contain"):
        m.add_module("a.b", nn.Identity())
    with pytest.raises(KeyError, match="already exists"):
        m.add_module("weight", nn.Identity())


def test_assigning_before_module_init_raises():
    class Early(nn.Module):
        def __init__(self) -> None:
            self.w = Parameter(ag.ones(1))
            super().__init__()

    class EarlyModule(nn.Module):
        def __init__(self) -> None:
            self.sub = nn.Identity()
            super().__init__()

    with pytest.raises(AttributeError, match=r"before Module.__init__\(\) call"):
        Early()
    with pytest.raises(AttributeError, match=r"before Module.__init__\(\) call"):
        EarlyModule()


def test_delattr_getattr_and_dir():
    m = Norm(2)
    m.sub = nn.Identity()
    assert {"weight", "running_mean", "sub"} <= set(dir(m))
    del m.weight, m.cache, m.sub
    assert "weight" not in m._parameters and "cache" not in m._buffers
    assert "cache" not in m._non_persistent_buffers_set and "sub" not in m._modules
    with pytest.raises(AttributeError, match="'Norm' object has no attribute 'weight'"):
        m.weight
    m.note = "kept"
    del m.note
    assert not hasattr(m, "note")


def test_get_submodule_parameter_and_buffer():
    net = _build(nn, ag)
    assert net.get_submodule("") is net
    assert net.get_submodule("blocks.1.0") is net.blocks[1][0]
    assert net.get_parameter("features.2.weight") is net.features[2].weight
    assert net.get_buffer("heads.a.running") is net.heads["a"].running
    with pytest.raises(AttributeError, match="has no attribute `nope`"):
        net.get_submodule("features.nope")
    with pytest.raises(AttributeError, match="`weight` is not an nn.Module"):
        net.get_submodule("features.0.weight")
    with pytest.raises(AttributeError, match="`running` is not an nn.Parameter"):
        net.get_parameter("features.0.running")
    with pytest.raises(AttributeError, match="`weight` is not a buffer"):
        net.get_buffer("features.0.weight")
    replacement = nn.Identity()
    net.set_submodule("blocks.1.0", replacement)
    assert net.blocks[1][0] is replacement


def test_missing_forward_raises():
    with pytest.raises(NotImplementedError, match='missing the required "forward"'):
        nn.Module()(ag.ones(1))


# ----------------------------------------------------------------------------- traversal
def test_named_members_follow_pytorch_order_and_names():
    torch = pytest.importorskip("torch")
    ours, theirs = _build(nn, ag), _build(torch.nn, torch)

    def names(pairs):
        return [name for name, _ in pairs]

    for method in ("named_parameters", "named_buffers", "named_modules", "named_children"):
        assert names(getattr(ours, method)()) == names(getattr(theirs, method)()), method
    for kwargs in ({"prefix": "model"}, {"recurse": False}, {"remove_duplicate": False}):
        for method in ("named_parameters", "named_buffers"):
            assert (names(getattr(ours, method)(**kwargs))
                    == names(getattr(theirs, method)(**kwargs))), (method, kwargs)
    assert (names(ours.named_modules(prefix="m", remove_duplicate=False))
            == names(theirs.named_modules(prefix="m", remove_duplicate=False)))
    assert len(list(ours.parameters())) == len(list(theirs.parameters()))
    assert len(list(ours.modules())) == len(list(theirs.modules()))
    assert len(list(ours.children())) == len(list(theirs.children()))


def test_shared_parameter_is_listed_once():
    a = Linear(2, 2)
    b = Linear(2, 2)
    b.weight = a.weight
    model = nn.Sequential(a, b)
    assert [n for n, _ in model.named_parameters()] == ["0.weight", "0.bias", "1.bias"]
    assert len(list(model.named_parameters(remove_duplicate=False))) == 4
    assert list(model.state_dict()) == ["0.weight", "0.bias", "1.weight", "1.bias"]


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


# ----------------------------------------------------------------------------- hooks
def test_forward_hooks_modify_inputs_and_outputs_and_are_removable():
    m = Linear(2, 2)
    with ag.no_grad():
        m.weight.copy_(ag.eye(2))
    events = []
    pre = m.register_forward_pre_hook(lambda mod, args: (args[0] * 2,))
    post = m.register_forward_hook(lambda mod, args, out: out + 1)
    m.register_forward_hook(lambda mod, args, out: events.append(("last", out.tolist())))
    m.register_forward_hook(lambda mod, args, out: events.append("first"), prepend=True)
    out = m(ag.tensor([1.0, 2.0]))
    assert out.tolist() == [3.0, 5.0]
    assert events == ["first", ("last", [3.0, 5.0])]
    pre.remove()
    post.remove()
    assert m(ag.tensor([1.0, 2.0])).tolist() == [1.0, 2.0]
    with m.register_forward_pre_hook(lambda mod, args: ag.zeros(2)):  # a bare value is wrapped
        assert m(ag.ones(2)).tolist() == [0.0, 0.0]
    assert m(ag.ones(2)).tolist() == [1.0, 1.0]


def test_forward_hooks_with_kwargs_and_always_call():
    class Scale(nn.Module):
        def forward(self, x, *, factor=1.0):
            if factor < 0:
                raise ValueError("negative")
            return x * factor

    m = Scale()
    m.register_forward_pre_hook(lambda mod, args, kwargs: (args, {"factor": 3.0}),
                                with_kwargs=True)
    seen = []
    m.register_forward_hook(lambda mod, args, kwargs, out: seen.append(kwargs["factor"]),
                            with_kwargs=True)
    assert m(ag.ones(1), factor=2.0).tolist() == [3.0]
    assert seen == [3.0]

    failing = Scale()
    always = []
    failing.register_forward_hook(lambda mod, args, out: always.append(out), always_call=True)
    with pytest.raises(ValueError, match="negative"):
        failing(ag.ones(1), factor=-1.0)
    assert always == [None]

    bad = Scale()
    bad.register_forward_pre_hook(lambda mod, args, kwargs: "oops", with_kwargs=True)
    with pytest.raises(RuntimeError, match="forward pre-hook must return None or a tuple"):
        bad(ag.ones(1))


# ----------------------------------------------------------------------------- modes, grads
def test_train_eval_propagate_to_every_submodule():
    net = _build(nn, ag)
    assert net.training and all(m.training for m in net.modules())
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())
    net.blocks.train(False)
    assert net.training and not net.blocks[1][0].training
    with pytest.raises(ValueError, match="training mode is expected to be boolean"):
        net.train("yes")


def test_zero_grad_set_to_none_or_zeros():
    m = Linear(2, 2)
    m(ag.ones(1, 2)).sum().backward()
    assert m.weight.grad is not None
    m.zero_grad(set_to_none=False)
    assert m.weight.grad.tolist() == [[0.0, 0.0], [0.0, 0.0]]
    assert not m.weight.grad.requires_grad
    m.zero_grad()
    assert m.weight.grad is None and m.bias.grad is None


def test_requires_grad_and_apply():
    net = nn.Sequential(Linear(2, 2), nn.Sequential(Linear(2, 1)))
    assert net.requires_grad_(False) is net
    assert not any(p.requires_grad for p in net.parameters())
    net.requires_grad_()
    assert all(p.requires_grad for p in net.parameters())
    visited = []
    assert net.apply(lambda mod: visited.append(type(mod).__name__)) is net
    assert visited == ["Linear", "Linear", "Sequential", "Sequential"]

    def fill(mod):
        if isinstance(mod, Linear):
            nn.init.constant_(mod.weight, 0.5)

    net.apply(fill)
    assert net[1][0].weight.tolist() == [[0.5, 0.5]]


def test_deepcopy_module_is_independent():
    net = nn.Sequential(Linear(2, 2), Norm(2))
    clone = copy.deepcopy(net)
    assert list(clone.state_dict()) == list(net.state_dict())
    assert isinstance(clone[0].weight, Parameter)
    with ag.no_grad():
        clone[0].weight.fill_(9.0)
    assert net[0].weight.tolist() != clone[0].weight.tolist()


# ----------------------------------------------------------------------------- dtype/device
def test_to_dtype_keeps_parameter_identity_and_converts_grads_and_buffers():
    m = Norm(2)
    m.lin = Linear(2, 2)
    m.lin(ag.ones(1, 2)).sum().backward()
    weight = m.lin.weight
    assert m.to(ag.float64) is m
    assert m.lin.weight is weight and isinstance(weight, Parameter)
    assert weight.dtype == ag.float64 and weight.grad.dtype == ag.float64
    assert weight.requires_grad and weight.is_leaf
    assert m.running_mean.dtype == ag.float64 and m.cache.dtype == ag.float64
    assert m.num_batches_tracked.dtype == ag.int64  # integer buffers keep their dtype
    # the parameter still trains after the cast
    m.lin.zero_grad()
    m.lin(ag.ones(1, 2, dtype=ag.float64)).sum().backward()
    assert weight.grad.dtype == ag.float64
    m.float()
    assert weight.dtype == ag.float32 and m.running_mean.dtype == ag.float32
    m.half()
    assert weight.dtype == ag.float16
    m.double()
    assert weight.dtype == ag.float64
    m.to(ag.zeros(1, dtype=ag.float32))
    assert weight.dtype == ag.float32
    m.to(dtype=ag.float64)
    assert weight.dtype == ag.float64
    assert m.to("cpu") is m and weight.device == ag.device("cpu")
    m.type(ag.float32)
    assert m.num_batches_tracked.dtype == ag.float32  # type() converts every tensor


def test_to_refuses_integer_dtypes():
    with pytest.raises(TypeError, match="only accepts floating point"):
        Linear(1, 1).to(ag.int64)


@pytest.mark.usefixtures("fake_cuda")
def test_to_cuda_keeps_identity_and_state_dict_moves_back():
    m = nn.Sequential(Linear(2, 2), Norm(2))
    m[0](ag.ones(1, 2)).sum().backward()
    weight = m[0].weight
    m.to("cuda")
    assert m[0].weight is weight and weight.device.type == "cuda"
    assert weight.grad.device.type == "cuda" and m[1].running_mean.device.type == "cuda"
    out = m(ag.ones(1, 2, device="cuda"))
    assert out.device.type == "cuda"
    # a CPU checkpoint loads into the GPU model (moved to the parameter's device)
    cpu_state = {k: v.cpu() for k, v in m.state_dict().items()}
    fresh = nn.Sequential(Linear(2, 2), Norm(2)).cuda()
    fresh.load_state_dict(cpu_state)
    assert fresh[0].weight.device.type == "cuda"
    np.testing.assert_array_equal(_values(fresh[0].weight), _values(weight))
    m.cpu()
    assert weight.device.type == "cpu" and weight.grad.device.type == "cpu"


# ----------------------------------------------------------------------------- repr
def test_repr_matches_pytorch_for_a_nested_model():
    torch = pytest.importorskip("torch")
    ours, theirs = repr(_build(nn, ag)), repr(_build(torch.nn, torch))
    # parameter containers print dtypes in each library's spelling
    theirs = theirs.replace("torch.float32", "autograd_core.float32")
    theirs = theirs.replace("torch.FloatTensor", ag.ones(1).type())
    assert ours == theirs


def test_repr_layout():
    net = nn.Sequential(Linear(2, 3), nn.Sequential(Linear(3, 1, bias=False)))
    assert repr(net) == (
        "Sequential(\n"
        "  (0): Linear(in_features=2, out_features=3, bias=True)\n"
        "  (1): Sequential(\n"
        "    (0): Linear(in_features=3, out_features=1, bias=False)\n"
        "  )\n"
        ")"
    )
    assert repr(nn.Identity()) == "Identity()"
    assert repr(nn.ModuleList()) == "ModuleList()"

    class Multi(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.sub = nn.Identity()

        def extra_repr(self) -> str:
            return "a=1,\nb=2"

    assert repr(Multi()) == "Multi(\n  a=1,\n  b=2\n  (sub): Identity()\n)"


# ----------------------------------------------------------------------------- containers
def test_sequential_indexing_slicing_and_mutation():
    a, b, c = Linear(2, 3), nn.Identity(), Linear(3, 1)
    seq = nn.Sequential(a, b, c)
    assert len(seq) == 3 and list(seq) == [a, b, c]
    assert seq[0] is a and seq[-1] is c and seq[-3] is a
    with pytest.raises(IndexError, match="index 3 is out of range"):
        seq[3]
    with pytest.raises(IndexError):
        seq[-4]
    head = seq[:2]
    assert isinstance(head, nn.Sequential) and list(head) == [a, b]
    assert list(seq[::-1]) == [c, b, a]
    x = ag.ones(4, 2)
    np.testing.assert_allclose(_values(seq(x)), _values(c(b(a(x)))))

    d = nn.Identity()
    seq.append(d)
    assert seq[3] is d and list(seq._modules) == ["0", "1", "2", "3"]
    e = nn.Identity()
    seq.insert(1, e)
    assert list(seq) == [a, e, b, c, d] and list(seq._modules) == ["0", "1", "2", "3", "4"]
    seq.insert(-1, nn.Identity())
    assert seq[4] is not d and seq[5] is d
    with pytest.raises(IndexError, match="Index out of range"):
        seq.insert(10, nn.Identity())
    assert seq.pop(1) is e
    del seq[-1]
    del seq[3:]
    assert list(seq) == [a, b, c] and list(seq._modules) == ["0", "1", "2"]
    seq[1] = e
    assert seq[1] is e
    seq.extend([nn.Identity(), nn.Identity()])
    assert len(seq) == 5
    doubled = nn.Sequential(a) + nn.Sequential(c)
    assert list(doubled) == [a, c]
    assert len(nn.Sequential(b) * 3) == 3
    with pytest.raises(ValueError, match="add operator supports only"):
        nn.Sequential(a) + [c]


def test_sequential_from_ordered_dict_keeps_names():
    seq = nn.Sequential(OrderedDict([("encoder", Linear(2, 3)), ("act", nn.Identity())]))
    assert list(seq._modules) == ["encoder", "act"]
    assert seq.encoder is seq[0]
    assert list(seq.state_dict()) == ["encoder.weight", "encoder.bias"]
    tail = seq[1:]
    assert list(tail._modules) == ["act"]


def test_module_list():
    layers = nn.ModuleList([Linear(1, 1) for _ in range(3)])
    assert len(layers) == 3 and isinstance(layers[1:], nn.ModuleList)
    assert len(list(layers.parameters())) == 6
    last = layers[-1]
    layers.append(nn.Identity())
    layers.insert(0, nn.Identity())
    assert isinstance(layers[0], nn.Identity) and layers[3] is last
    assert list(layers._modules) == [str(i) for i in range(5)]
    layers += [nn.Identity()]
    assert len(layers) == 6
    del layers[0]
    assert list(layers._modules) == [str(i) for i in range(5)]
    assert isinstance(layers.pop(-1), nn.Identity)
    layers[0] = nn.Identity()
    assert isinstance(layers[0], nn.Identity)
    combined = layers + nn.ModuleList([nn.Identity()])
    assert len(combined) == len(layers) + 1
    with pytest.raises(TypeError, match="extend should be called with an iterable"):
        layers.extend(3)
    with pytest.raises(IndexError, match="out of range"):
        layers[10]
    with pytest.raises(NotImplementedError):
        layers(ag.ones(1))


def test_module_dict():
    heads = nn.ModuleDict({"b": Linear(1, 1), "a": nn.Identity()})
    assert list(heads) == ["b", "a"] and list(heads.keys()) == ["b", "a"]
    assert "a" in heads and len(heads) == 2
    heads["c"] = Linear(1, 2)
    assert [k for k, _ in heads.items()] == ["b", "a", "c"]
    assert isinstance(heads.pop("a"), nn.Identity) and "a" not in heads
    heads.update([("d", nn.Identity())])
    assert list(heads.keys()) == ["b", "c", "d"]
    assert [n for n, _ in heads.named_parameters()] == ["b.weight", "b.bias", "c.weight",
                                                        "c.bias"]
    with pytest.raises(ValueError, match="has length 3; 2 is required"):
        heads.update([("e", nn.Identity(), 1)])
    with pytest.raises(TypeError, match="should be called with an iterable"):
        heads.update(3)
    heads.clear()
    assert len(heads) == 0


def test_parameter_list_and_dict():
    plist = nn.ParameterList([ag.ones(2), Parameter(ag.zeros(3))])
    assert all(isinstance(p, Parameter) for p in plist)
    plist.append(ag.ones(1))
    assert len(plist) == 3 and [n for n, _ in plist.named_parameters()] == ["0", "1", "2"]
    assert plist[-1].shape == (1,)
    assert len(plist[1:]) == 2
    plist[0] = ag.full((2,), 5.0)
    assert isinstance(plist[0], Parameter) and plist[0].tolist() == [5.0, 5.0]
    with pytest.raises(RuntimeError, match="ParameterList should not be called"):
        plist()

    pdict = nn.ParameterDict({"b": ag.ones(1), "a": Parameter(ag.zeros(1))})
    assert list(pdict) == ["a", "b"]  # a plain dict is added in sorted key order, as in PyTorch
    pdict["c"] = ag.ones(2)
    assert isinstance(pdict["c"], Parameter) and "c" in pdict
    assert [k for k, _ in pdict.items()] == ["a", "b", "c"]
    assert list(pdict.state_dict()) == ["a", "b", "c"]
    assert pdict.get("zzz") is None
    assert pdict.pop("a").tolist() == [0.0] and "a" not in pdict
    with pytest.raises(TypeError, match="not a string"):
        pdict[1] = ag.ones(1)
    ordered = nn.ParameterDict(OrderedDict([("z", ag.ones(1)), ("y", ag.ones(1))]))
    assert list(ordered) == ["z", "y"]
    merged = ordered | pdict
    assert list(merged) == ["z", "y", "b", "c"]


def test_parameter_containers_match_pytorch_key_order():
    torch = pytest.importorskip("torch")
    for ours_kind, theirs_kind in ((nn.ParameterDict, torch.nn.ParameterDict),):
        data = {"q": 1, "b": 2, "k": 3}
        ours = ours_kind({k: ag.ones(v) for k, v in data.items()})
        theirs = theirs_kind({k: torch.ones(v) for k, v in data.items()})
        assert list(ours.state_dict()) == list(theirs.state_dict())


def test_identity_returns_its_input():
    x = ag.ones(2)
    assert nn.Identity(54, unused="argument")(x) is x
