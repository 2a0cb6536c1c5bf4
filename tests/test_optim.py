"""The `Optimizer` base: parameter groups, state, zero_grad, closures, state_dict, errors."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from fake_cupy import fake_cuda  # noqa: F401  (fixture)

import autograd_core as ag
import optim
from optim.optimizer import Optimizer, required

FIRST_ORDER = ["SGD", "Adagrad", "RMSprop", "Adadelta", "Adam", "AdamW", "Adamax", "NAdam",
               "RAdam"]
# options that make every state buffer appear
RICH = {"SGD": dict(momentum=0.9), "RMSprop": dict(momentum=0.9, centered=True),
        "Adam": dict(amsgrad=True)}


def _params(seed: int = 0, dtype=ag.float64, device=None):
    rng = np.random.default_rng(seed)
    return [ag.tensor(rng.standard_normal(shape), dtype=dtype, device=device, requires_grad=True)
            for shape in [(3,), (2, 2)]]


def _set_grads(params, k: int) -> None:
    for i, p in enumerate(params):
        values = np.sin(np.arange(p.numel()) + 3.0 * k + i).reshape(tuple(p.shape))
        p.grad = ag.tensor(values, dtype=p.dtype, device=p.device)


def _values(params) -> np.ndarray:
    return np.concatenate([np.asarray(p.tolist(), dtype=np.float64).ravel() for p in params])


# ------------------------------------------------------------------ construction
def test_param_groups_take_defaults_and_own_values():
    a, b = _params()
    opt = optim.SGD([{"params": [a]}, {"params": b, "lr": 0.5, "momentum": 0.9}], lr=0.1)
    assert len(opt.param_groups) == 2
    assert opt.param_groups[0]["lr"] == 0.1 and opt.param_groups[0]["momentum"] == 0
    assert opt.param_groups[1]["lr"] == 0.5 and opt.param_groups[1]["momentum"] == 0.9
    assert opt.param_groups[1]["params"][0] is b
    assert opt.defaults["lr"] == 0.1
    a0, b0 = _values([a]), _values([b])
    _set_grads([a, b], 0)
    ga, gb = _values([a.grad]), _values([b.grad])
    opt.step()
    np.testing.assert_allclose(_values([a]), a0 - 0.1 * ga)
    np.testing.assert_allclose(_values([b]), b0 - 0.5 * gb)


def test_add_param_group():
    a, b = _params()
    opt = optim.Adam([a], lr=0.01)
    opt.add_param_group({"params": [b], "betas": (0.5, 0.9)})
    assert opt.param_groups[1]["lr"] == 0.01
    assert opt.param_groups[1]["betas"] == (0.5, 0.9)
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter group"):
        opt.add_param_group({"params": [a]})
    assert len(opt.param_groups) == 2


def test_a_parameter_given_twice():
    a, b = _params()
    with pytest.raises(ValueError, match="more than one parameter group"):
        optim.SGD([{"params": [a, b]}, {"params": [b]}], lr=0.1)
    with pytest.raises(ValueError, match="duplicate parameters"):
        optim.SGD([a, b, a], lr=0.1)


def test_bad_params_argument():
    a, _ = _params()
    with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="iterable of Tensors or dicts"):
        optim.SGD(a, lr=0.1)
    with pytest.raises(TypeError, match="ordered collections"):
        optim.SGD([{"params": {a}}], lr=0.1)
    with pytest.raises(TypeError, match="optimizer can only optimize Tensors"):
        optim.SGD([a, 1.0], lr=0.1)
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        optim.SGD([a * 2], lr=0.1)


def test_required_hyperparameter():
    class Plain(Optimizer):
        def __init__(self, params, lr=required):
            super().__init__(params, dict(lr=lr))

    a, _ = _params()
    with pytest.raises(ValueError, match="didn't specify a value of required optimization "
                                         "parameter lr"):
        Plain([a])
    assert Plain([{"params": [a], "lr": 0.1}]).param_groups[0]["lr"] == 0.1
    assert repr(required) == "<required parameter>"


INVALID = [
    ("SGD", dict(lr=-1.0), "Invalid learning rate: -1.0"),
    ("SGD", dict(lr=0.1, momentum=-0.5), "Invalid momentum value: -0.5"),
    ("SGD", dict(lr=0.1, weight_decay=-1e-3), "Invalid weight_decay value: -0.001"),
    ("SGD", dict(lr=0.1, nesterov=True), "Nesterov momentum requires a momentum and zero "
                                         "dampening"),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), "Nesterov momentum"),
    ("Adam", dict(lr=-0.1), "Invalid learning rate: -0.1"),
    ("Adam", dict(betas=(1.0, 0.999)), "Invalid beta parameter at index 0: 1.0"),
    ("Adam", dict(betas=(-0.1, 0.999)), "Invalid beta parameter at index 0: -0.1"),
    ("Adam", dict(betas=(0.9, 1.5)), "Invalid beta parameter at index 1: 1.5"),
    ("Adam", dict(eps=-1e-8), "Invalid epsilon value: -1e-08"),
    ("Adam", dict(weight_decay=-0.1), "Invalid weight_decay value: -0.1"),
    ("AdamW", dict(betas=(0.9, 1.0)), "Invalid beta parameter at index 1: 1.0"),
    ("Adamax", dict(betas=(1.2, 0.9)), "Invalid beta parameter at index 0: 1.2"),
    ("NAdam", dict(momentum_decay=-1.0), "Invalid momentum_decay value: -1.0"),
    ("RAdam", dict(eps=-1.0), "Invalid epsilon value: -1.0"),
    ("Adagrad", dict(lr_decay=-1.0), "Invalid lr_decay value: -1.0"),
    ("Adagrad", dict(initial_accumulator_value=-1.0),
     "Invalid initial_accumulator_value value: -1.0"),
    ("RMSprop", dict(alpha=-0.5), "Invalid alpha value: -0.5"),
    ("RMSprop", dict(momentum=-0.5), "Invalid momentum value: -0.5"),
    ("Adadelta", dict(rho=1.5), "Invalid rho value: 1.5"),
    ("LBFGS", dict(lr=-1.0), "Invalid learning rate: -1.0"),
    ("Newton", dict(lr=-1.0), "Invalid learning rate: -1.0"),
    ("NewtonCG", dict(lr=-1.0), "Invalid learning rate: -1.0"),
]


@pytest.mark.parametrize(("name", "kwargs", "message"), INVALID,
                         ids=[f"{n}-{m}" for n, _, m in INVALID])
def test_invalid_hyperparameters(name, kwargs, message):
    a, _ = _params()
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")
                       .replace(".", r"\.")):
        getattr(optim, name)([a], **kwargs)


def test_invalid_hyperparameters_match_pytorch_messages():
    torch = pytest.importorskip("torch")
    p = torch.zeros(2, requires_grad=True)
    a, _ = _params()
    for name, kwargs, _ in INVALID:
        if not hasattr(torch.optim, name) or "nesterov" in kwargs:
            continue
        with pytest.raises(ValueError) as theirs:
            getattr(torch.optim, name)([p], **kwargs)
        with pytest.raises(ValueError) as ours:
            getattr(optim, name)([a], **kwargs)
        assert str(ours.value) == str(theirs.value)


# ------------------------------------------------------------------ stepping
@pytest.mark.parametrize("name", FIRST_ORDER)
def test_parameter_without_grad_is_skipped(name):
    a, b = _params()
    opt = getattr(optim, name)([a, b], lr=0.1)
    before = _values([b])
    a.grad = ag.ones_like(a)
    opt.step()
    np.testing.assert_array_equal(_values([b]), before)
    if name != "Adagrad":  # Adagrad makes its state at construction, as PyTorch's does
        assert b not in opt.state
    assert not np.array_equal(_values([a]), _values(_params()[:1]))


def test_step_bumps_versions_and_keeps_identity():
    a, b = _params()
    opt = optim.Adam([a, b], lr=0.1)
    _set_grads([a, b], 0)
    data = a._data
    version = a._version
    opt.step()
    assert a._data is data and a._version > version
    assert a.is_leaf and a.requires_grad


def test_zero_grad():
    a, b = _params()
    opt = optim.SGD([a, b], lr=0.1)
    _set_grads([a, b], 0)
    grad = a.grad
    opt.zero_grad(set_to_none=False)
    assert a.grad is grad
    np.testing.assert_array_equal(grad.numpy(), np.zeros(3))
    opt.zero_grad()
    assert a.grad is None and b.grad is None


def test_closure_runs_with_grad_enabled_and_loss_returned():
    a, _ = _params()
    opt = optim.SGD([a], lr=0.1)
    seen = []

    def closure():
        seen.append(ag.is_grad_enabled())
        opt.zero_grad()
        loss = (a * a).sum()
        loss.backward()
        return loss

    with ag.no_grad():
        loss = opt.step(closure)
    assert seen == [True]
    assert isinstance(loss, ag.Tensor) and loss.requires_grad


def test_tensor_learning_rate():
    a, _ = _params()
    b = a.detach().clone().requires_grad_(True)
    opt1 = optim.Adam([a], lr=ag.tensor(0.05))
    opt2 = optim.Adam([b], lr=0.05)
    for k in range(3):
        _set_grads([a], k)
        _set_grads([b], k)
        opt1.step()
        opt2.step()
    np.testing.assert_allclose(_values([a]), _values([b]), rtol=1e-6)


def test_step_hooks():
    a, _ = _params()
    opt = optim.SGD([a], lr=0.1)
    calls = []
    pre = opt.register_step_pre_hook(lambda o, args, kwargs: calls.append("pre"))
    opt.register_step_post_hook(lambda o, args, kwargs: calls.append("post"))
    a.grad = ag.ones_like(a)
    opt.step()
    pre.remove()
    opt.step()
    assert calls == ["pre", "post", "post"]


def test_named_parameters():
    a, b = _params()
    opt = optim.Adam([("w", a), ("b", b)], lr=0.1)
    assert opt.param_groups[0]["param_names"] == ["w", "b"]
    assert opt.state_dict()["param_groups"][0]["param_names"] == ["w", "b"]
    assert opt.param_groups[0]["params"] == [a, b] or opt.param_groups[0]["params"][0] is a


def test_repr():
    a, _ = _params()
    text = repr(optim.SGD([a], lr=0.1, momentum=0.9))
    assert text.startswith("SGD (\nParameter Group 0\n")
    assert "    lr: 0.1\n" in text and "    momentum: 0.9\n" in text and text.endswith(")")


# ------------------------------------------------------------------ state_dict
def test_state_dict_layout_matches_pytorch():
    torch = pytest.importorskip("torch")
    a, b = _params()
    opt = optim.Adam([a, b], lr=0.1)
    _set_grads([a, b], 0)
    opt.step()
    sd = opt.state_dict()
    ta = torch.zeros(3, requires_grad=True)
    tb = torch.zeros(2, 2, requires_grad=True)
    topt = torch.optim.Adam([ta, tb], lr=0.1)
    ta.grad, tb.grad = torch.ones(3), torch.ones(2, 2)
    topt.step()
    tsd = topt.state_dict()
    assert set(sd) == set(tsd) == {"state", "param_groups"}
    assert list(sd["state"]) == list(tsd["state"]) == [0, 1]
    assert set(sd["state"][0]) == set(tsd["state"][0])
    assert set(sd["param_groups"][0]) == set(tsd["param_groups"][0])
    assert sd["param_groups"][0]["params"] == [0, 1]
    step = sd["state"][0]["step"]
    assert isinstance(step, ag.Tensor) and step.dtype == ag.float32 and step.item() == 1.0
    assert step.device.type == "cpu" and step.ndim == 0


@pytest.mark.parametrize("name", FIRST_ORDER)
def test_state_dict_round_trip_continues_the_same_trajectory(name):
    kwargs = dict(lr=0.05, **RICH.get(name, {}))
    params = _params()
    opt = getattr(optim, name)(params, **kwargs)
    for k in range(4):
        _set_grads(params, k)
        opt.step()
    saved = copy.deepcopy(opt.state_dict())
    clones = [p.detach().clone().requires_grad_(True) for p in params]
    restored = getattr(optim, name)(clones, lr=1.0)  # hyperparameters come from the dict
    restored.load_state_dict(saved)
    assert restored.param_groups[0]["lr"] == 0.05
    for k in range(4, 8):
        _set_grads(params, k)
        _set_grads(clones, k)
        opt.step()
        restored.step()
        # NAdam's mu_product is cast to the parameter's dtype on load, as in PyTorch
        tol = 1e-9 if name == "NAdam" else 0.0
        np.testing.assert_allclose(_values(clones), _values(params), rtol=tol, atol=0)
    # the loaded optimiser shares no buffer with the dict it was given
    for state in saved["state"].values():
        for value in state.values():
            if isinstance(value, ag.Tensor):
                assert all(value._data is not v._data for s in restored.state.values()
                           for v in s.values() if isinstance(v, ag.Tensor))


def test_failed_load_leaves_the_optimizer_unchanged():
    a, b = _params()
    opt = optim.Adam([a, b], lr=0.1)
    _set_grads([a, b], 0)
    opt.step()
    state_before = opt.state
    groups_before = copy.deepcopy([{k: v for k, v in g.items() if k != "params"}
                                   for g in opt.param_groups])
    exp_avg = _values([opt.state[a]["exp_avg"]])

    other = optim.Adam([_params(1)[0]], lr=0.5)
    _set_grads(other.param_groups[0]["params"], 3)
    other.step()
    with pytest.raises(ValueError, match="doesn't match the size of optimizer's group"):
        opt.load_state_dict(other.state_dict())
    two_groups = optim.Adam([{"params": [_params(2)[0]]}, {"params": [_params(2)[1]]}])
    with pytest.raises(ValueError, match="different number of parameter groups"):
        opt.load_state_dict(two_groups.state_dict())
    assert opt.state is state_before
    assert [{k: v for k, v in g.items() if k != "params"} for g in opt.param_groups] \
        == groups_before
    np.testing.assert_array_equal(_values([opt.state[a]["exp_avg"]]), exp_avg)
    assert opt.param_groups[0]["params"][0] is a


def test_load_casts_state_to_the_parameter_dtype():
    params64 = _params()
    opt = optim.Adam(params64, lr=0.1, amsgrad=True)
    _set_grads(params64, 0)
    opt.step()
    params32 = _params(dtype=ag.float32)
    opt32 = optim.Adam(params32, lr=0.1)
    opt32.load_state_dict(opt.state_dict())
    state = opt32.state[params32[0]]
    assert state["exp_avg"].dtype == ag.float32
    assert state["max_exp_avg_sq"].dtype == ag.float32
    assert state["step"].dtype == ag.float32 and state["step"].item() == 1.0
    _set_grads(params32, 1)
    opt32.step()
    assert params32[0].dtype == ag.float32


@pytest.mark.usefixtures("fake_cuda")
def test_load_moves_state_to_the_parameter_device():
    cpu_params = _params()
    opt = optim.SGD(cpu_params, lr=0.1, momentum=0.9)
    _set_grads(cpu_params, 0)
    opt.step()
    gpu_params = _params(device="cuda")
    gpu_opt = optim.SGD(gpu_params, lr=0.1, momentum=0.9)
    gpu_opt.load_state_dict(opt.state_dict())
    assert gpu_opt.state[gpu_params[0]]["momentum_buffer"].device.type == "cuda"
    adam = optim.Adam(cpu_params, lr=0.1)
    adam.step()
    gpu_adam = optim.Adam(gpu_params, lr=0.1)
    gpu_adam.load_state_dict(adam.state_dict())
    state = gpu_adam.state[gpu_params[1]]
    assert state["exp_avg_sq"].device.type == "cuda"
    assert state["step"].device.type == "cpu"  # as in PyTorch: the count stays on the host


@pytest.mark.usefixtures("fake_cuda")
@pytest.mark.parametrize("name", FIRST_ORDER)
def test_same_numbers_on_the_cuda_code_path(name):
    """The device-agnostic path (no custom kernels on the CuPy stand-in) matches the CPU."""
    kwargs = dict(lr=0.05, weight_decay=0.01, maximize=True, **RICH.get(name, {}))
    results = []
    for device in ("cpu", "cuda"):
        params = _params(device=device)
        opt = getattr(optim, name)(params, **kwargs)
        for k in range(3):
            _set_grads(params, k)
            opt.step()
        for state in opt.state.values():
            for key, value in state.items():
                if isinstance(value, ag.Tensor) and key not in ("step", "mu_product"):
                    assert value.device.type == device
        results.append(_values(params))
    np.testing.assert_allclose(results[1], results[0], rtol=1e-12, atol=1e-14)


def test_plain_sgd_keeps_no_state():
    a, b = _params()
    opt = optim.SGD([a, b], lr=0.1)
    _set_grads([a, b], 0)
    opt.step()
    assert opt.state_dict()["state"] == {}
