"""`nn.Module` and `nn.Parameter`: registration, traversal order, hooks, modes, dtype/device
moves that keep parameter identity, zero_grad and repr. (state_dict and loading:
test_nn_state_dict.py; the containers: test_nn_containers.py.)"""

from __future__ import annotations

import copy

import numpy as np
import pytest
from fake_cupy import fake_cuda  # noqa: F401
from nn_models import Linear, Norm, _build, _values

import autograd_core as ag
import nn
from nn import Parameter


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
