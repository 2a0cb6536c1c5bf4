"""Bad hyperparameters: clear TypeError/ValueError, and a failed step changes nothing.

Every group is checked before a step touches any parameter, so a bad value in the second
group leaves the first group's parameters and state exactly as they were.
"""

from __future__ import annotations

import numpy as np
import pytest

import autograd_core as ag
import optim

# optimisers that step from gradients alone (no closure needed)
FIRST_ORDER = ["SGD", "Adagrad", "RMSprop", "Adadelta", "Adam", "AdamW", "Adamax", "NAdam",
               "RAdam", "ASGD", "Rprop", "Adafactor", "Muon", "SparseAdam"]
ALL = FIRST_ORDER + ["LBFGS", "Newton", "NewtonCG"]


def _two_groups(name: str):
    """An optimiser with two one-parameter groups, each with a gradient."""
    rng = np.random.default_rng(0)
    params = [ag.tensor(rng.standard_normal((3, 2)).astype(np.float32), requires_grad=True)
              for _ in range(2)]
    for p in params:
        p.grad = ag.tensor(rng.standard_normal((3, 2)).astype(np.float32))
    return getattr(optim, name)([{"params": [params[0]]}, {"params": [params[1]]}]), params


def _snapshot(opt, params):
    return [p.tolist() for p in params], {id(k): dict(v) for k, v in opt.state.items()}


@pytest.mark.parametrize("name", FIRST_ORDER)
@pytest.mark.parametrize("key, bad, error", [
    ("lr", "abc", TypeError),
    ("lr", None, TypeError),
    ("lr", -1.0, ValueError),
    ("lr", ag.tensor([0.1, 0.2]), ValueError),
])
def test_bad_value_in_second_group_leaves_first_group_untouched(name, key, bad, error):
    opt, params = _two_groups(name)
    before = _snapshot(opt, params)
    opt.param_groups[1][key] = bad
    with pytest.raises(error, match=r"lr|learning rate"):
        opt.step()
    assert _snapshot(opt, params) == before
    opt.param_groups[1][key] = opt.param_groups[0][key]  # fixed: the step now runs
    opt.step()
    assert _snapshot(opt, params)[0] != before[0]


@pytest.mark.parametrize("name", ["Adam", "AdamW", "NAdam", "RAdam", "Adamax", "SparseAdam"])
def test_bad_betas_in_second_group(name):
    opt, params = _two_groups(name)
    before = _snapshot(opt, params)
    opt.param_groups[1]["betas"] = "ab"
    with pytest.raises(TypeError, match="betas"):
        opt.step()
    opt.param_groups[1]["betas"] = (1.5, 0.9)
    with pytest.raises(ValueError, match="beta parameter at index 0"):
        opt.step()
    assert _snapshot(opt, params) == before


@pytest.mark.parametrize("name, key, bad", [
    ("SGD", "momentum", -0.5), ("RMSprop", "alpha", -1.0), ("Adam", "weight_decay", -1.0),
    ("Adagrad", "lr_decay", -0.1), ("SGD", "momentum", "fast"), ("Adam", "eps", "tiny"),
])
def test_other_bad_values_are_caught_before_the_step(name, key, bad):
    opt, params = _two_groups(name)
    before = _snapshot(opt, params)
    opt.param_groups[1][key] = bad
    with pytest.raises(TypeError if isinstance(bad, str) else ValueError, match=key[:3]):
        opt.step()
    assert _snapshot(opt, params) == before


@pytest.mark.parametrize("name", ALL)
def test_string_lr_is_a_type_error_at_construction(name):
    p = ag.zeros(2, 2, requires_grad=True)
    with pytest.raises(TypeError, match="'abc'"):
        getattr(optim, name)([p], lr="abc")
    with pytest.raises(TypeError, match="'abc'"):  # a group's own value, too
        getattr(optim, name)([{"params": [p], "lr": "abc"}])


@pytest.mark.parametrize("name", ["SGD", "Adam", "Adagrad", "RMSprop"])
def test_string_lr_matches_torchs_exception_class(name):
    torch = pytest.importorskip("torch")
    with pytest.raises(TypeError):
        getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)], lr="abc")
    with pytest.raises(TypeError):
        getattr(optim, name)([ag.zeros(2, requires_grad=True)], lr="abc")


def test_a_one_element_tensor_lr_is_still_accepted():
    opt, params = _two_groups("SGD")
    opt.param_groups[1]["lr"] = ag.tensor(0.5)
    opt.step()
    np.testing.assert_array_equal(np.isfinite(np.array(params[1].tolist())), True)
