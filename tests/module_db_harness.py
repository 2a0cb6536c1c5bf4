"""Conformance with PyTorch's ModuleInfo database (``module_db`` of
``torch.testing._internal.common_modules``, shipped in the torch wheel).

For every ModuleInfo and each sample its ``module_inputs_func`` draws (CPU, float32 and
float64, training and, where they differ, eval mode), we build our module with the same
constructor arguments, load PyTorch's state dict key by key, run the same forward and the
same backward, and compare outputs, buffers after the forward, and the gradients of every
input and parameter. The samples of ``module_error_inputs_func`` must raise PyTorch's
exception class. A module we do not have counts as missing, never as a pass.

``python tests/module_db_harness.py`` prints the counts (and ``-v`` each disagreement).
"""

from __future__ import annotations

import sys
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

import autograd_core as ag
import nn

# Layers whose training-mode output is random: only shapes and dtypes are compared there.
RANDOM_IN_TRAINING = {"Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout",
                      "FeatureAlphaDropout", "RReLU", "FractionalMaxPool2d",
                      "FractionalMaxPool3d"}
DTYPES = ("float32", "float64")
TOLERANCE = {"float32": (1e-4, 1e-5), "float64": (1e-7, 1e-9)}  # (rtol, atol)


@dataclass
class Sample:
    """One comparison: a module, a dtype, a mode and the index of the drawn sample."""
    info: Any
    dtype: str
    training: bool
    index: int
    desc: str
    kind: str = "forward"  # or "error"

    @property
    def module_name(self) -> str:
        return self.info.module_cls.__name__

    @property
    def id(self) -> str:
        mode = "train" if self.training else "eval"
        return f"{self.module_name}-{self.kind}-{self.dtype}-{mode}-{self.index}"


def module_db():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from torch.testing._internal.common_modules import module_db as db
    return db


def has_counterpart(info) -> bool:
    return hasattr(nn, info.module_cls.__name__)


_drawn: dict = {}


def _inputs(sample: Sample):
    """The samples drawn for (module, dtype, mode, kind), drawn once and kept."""
    key = (sample.info.name, sample.dtype, sample.training, sample.kind)
    if key not in _drawn:
        _drawn[key] = _draw(sample)
    return _drawn[key]


def _draw(sample: Sample):
    import torch

    torch.manual_seed(0)  # the same draws on every run
    dtype = getattr(torch, sample.dtype)
    if sample.kind == "error":
        return sample.info.module_error_inputs_func(sample.info, device="cpu", dtype=dtype,
                                                    requires_grad=True,
                                                    training=sample.training)
    return sample.info.module_inputs_func(sample.info, device="cpu", dtype=dtype,
                                          requires_grad=True, training=sample.training)


def samples_of(info) -> list[Sample]:
    """Every comparison drawn for one ModuleInfo (module_inputs_func is called here)."""
    import torch

    out = []
    modes = (True, False) if info.train_and_eval_differ else (True,)
    for dtype in DTYPES:
        if getattr(torch, dtype) not in info.dtypes:
            continue
        for training in modes:
            base = Sample(info, dtype, training, 0, "")
            drawn = _inputs(base)
            out += [Sample(info, dtype, training, i, s.desc) for i, s in enumerate(drawn)]
            if info.module_error_inputs_func is not None and dtype == "float64" and training:
                errors = _inputs(Sample(info, dtype, training, 0, "", "error"))
                out += [Sample(info, dtype, training, i, e.module_error_input.desc, "error")
                        for i, e in enumerate(errors)]
    return out


# ----------------------------------------------------------------------------- conversion
def layer_like(layer) -> nn.Module:
    """Our Transformer layer with a PyTorch layer's configuration (a constructor argument of
    the stacks, which copy it; the whole stack's weights are loaded afterwards)."""
    import torch

    names = {"TransformerEncoderLayer", "TransformerDecoderLayer"}
    if type(layer).__name__ not in names:
        raise NotImplementedError(f"constructor argument is a torch module "
                                  f"({type(layer).__name__}); the harness cannot convert it")
    activation = {torch.nn.functional.relu: "relu", torch.nn.functional.gelu: "gelu"}.get(
        layer.activation, layer.activation)
    if not isinstance(activation, str):
        activation = to_ours(activation)
    return getattr(nn, type(layer).__name__)(
        layer.self_attn.embed_dim, layer.self_attn.num_heads, layer.linear1.out_features,
        layer.dropout.p, activation, layer.norm1.eps, layer.self_attn.batch_first,
        layer.norm_first, layer.linear1.bias is not None)


def to_ours(obj: Any, memo: dict | None = None) -> Any:
    """PyTorch values -> ours: tensors (keeping requires_grad), dtypes, devices, nests.
    A tensor passed twice (``loss(x, x)``) becomes one tensor of ours, twice."""
    import torch

    memo = {} if memo is None else memo
    if isinstance(obj, torch.Tensor):
        if id(obj) in memo:
            return memo[id(obj)]
        array = obj.detach().cpu().numpy()
        t = ag.tensor(array, dtype=getattr(ag, str(obj.dtype).removeprefix("torch."), None))
        if obj.requires_grad:
            t.requires_grad_()
        memo[id(obj)] = t
        return t
    if isinstance(obj, torch.dtype):
        return getattr(ag, str(obj).removeprefix("torch."))
    if isinstance(obj, torch.device):
        return str(obj)
    if isinstance(obj, torch.nn.Module):
        return layer_like(obj)
    name = getattr(obj, "__name__", None)
    if callable(obj) and name and getattr(torch.nn.functional, name, None) is obj:
        return getattr(nn.functional, name)  # a function of torch.nn.functional: ours
    if isinstance(obj, torch.Size):
        return tuple(obj)
    if isinstance(obj, tuple):
        return tuple(to_ours(o, memo) for o in obj)
    if isinstance(obj, list):
        return [to_ours(o, memo) for o in obj]
    if isinstance(obj, dict):
        return {k: to_ours(v, memo) for k, v in obj.items()}
    return obj


def _leaves(obj: Any, torch_side: bool) -> list:
    """The tensors of a (nested) output, in order; None for non-tensors."""
    import torch

    tensor_type = torch.Tensor if torch_side else ag.Tensor
    if isinstance(obj, tensor_type):
        return [obj]
    if isinstance(obj, (tuple, list)):
        return [t for o in obj for t in _leaves(o, torch_side)]
    if isinstance(obj, dict):
        return [t for k in sorted(obj) for t in _leaves(obj[k], torch_side)]
    return []


def _np(t) -> np.ndarray:
    return t.detach().cpu().numpy()


class Mismatch(AssertionError):
    """A disagreement with PyTorch (the message says what differed)."""


def _close(mine, theirs, what: str, dtype: str) -> None:
    rtol, atol = TOLERANCE[dtype]
    a, b = _np(mine), _np(theirs)
    if a.shape != b.shape:
        raise Mismatch(f"{what}: shape {a.shape} vs PyTorch's {b.shape}")
    if a.dtype != b.dtype:
        raise Mismatch(f"{what}: dtype {a.dtype} vs PyTorch's {b.dtype}")
    if a.dtype.kind in "fc":
        if not np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=True):
            worst = np.nanmax(np.abs(a - b)) if a.size else 0.0
            raise Mismatch(f"{what}: values differ (max abs diff {worst:.3g})")
    elif not np.array_equal(a, b):
        raise Mismatch(f"{what}: values differ")


# ----------------------------------------------------------------------------- running
def _build(info, ctor, torch_side: bool, dtype: str):
    import torch

    if torch_side:
        module = info.module_cls(*ctor.args, **ctor.kwargs)
        return module.to(getattr(torch, dtype))
    module = getattr(nn, info.module_cls.__name__)(*to_ours(ctor.args), **to_ours(ctor.kwargs))
    return module.to(getattr(ag, dtype))


def _forward(module, fwd, converted: tuple | None = None):
    args, kwargs = converted if converted is not None else (fwd.args, fwd.kwargs)
    return module(*args, **kwargs)


def run_sample(sample: Sample) -> str:
    """Compare one sample with PyTorch; returns "exact" or "shape-only", raises `Mismatch`
    (or whatever our side raised) otherwise."""
    import torch

    drawn = _inputs(sample)[sample.index]
    if sample.kind == "error":
        return _run_error_sample(sample, drawn)
    info = sample.info
    torch.manual_seed(0)
    theirs = _build(info, drawn.constructor_input, True, sample.dtype)
    ours = _build(info, drawn.constructor_input, False, sample.dtype)
    theirs.train(sample.training)
    ours.train(sample.training)
    args = to_ours((drawn.forward_input.args, drawn.forward_input.kwargs))
    if info.is_lazy:  # shapes come from a first forward
        with torch.no_grad():
            _forward(theirs, drawn.forward_input)
        with ag.no_grad():
            _forward(ours, None, args)
    state = theirs.state_dict()
    ours_keys = set(ours.state_dict())
    if ours_keys != set(state):
        raise Mismatch(f"state_dict keys differ: ours only {sorted(ours_keys - set(state))}, "
                       f"PyTorch only {sorted(set(state) - ours_keys)}")
    ours.load_state_dict({k: to_ours(v) for k, v in state.items()})
    try:
        out_t = _forward(theirs, drawn.forward_input)
    except Exception as error:  # the sample expects an error: ours must raise the same
        try:
            _forward(ours, None, args)
        except type(error):
            return "exact"
        raise Mismatch(f"PyTorch raised {type(error).__name__}, ours did not") from None
    out = _forward(ours, None, args)
    leaves_t, leaves = _leaves(out_t, True), _leaves(out, False)
    if len(leaves_t) != len(leaves):
        raise Mismatch(f"output has {len(leaves)} tensors, PyTorch's {len(leaves_t)}")
    shape_only = sample.training and info.module_cls.__name__ in RANDOM_IN_TRAINING
    for k, (mine, ref) in enumerate(zip(leaves, leaves_t)):
        if shape_only:
            if (tuple(mine.shape) != tuple(ref.shape)
                    or str(mine.dtype).split(".")[-1] != str(ref.dtype).split(".")[-1]):
                raise Mismatch(f"output {k}: {mine.shape} {mine.dtype} vs PyTorch's "
                               f"{ref.shape} {ref.dtype}")
        else:
            _close(mine, ref, f"output {k}", sample.dtype)
    if shape_only:
        return "shape-only"
    for key, value in theirs.state_dict().items():  # running statistics after the forward
        _close(ours.state_dict()[key], value, f"state {key!r} after forward", sample.dtype)
    _compare_backward(sample, ours, theirs, leaves, leaves_t, args, drawn.forward_input)
    return "exact"


def _compare_backward(sample, ours, theirs, leaves, leaves_t, args, fwd) -> None:
    import torch

    rng = np.random.default_rng(0)
    loss_t, loss = None, None
    for mine, ref in zip(leaves, leaves_t):
        if not (ref.requires_grad and ref.dtype.is_floating_point):
            continue
        w = rng.standard_normal(tuple(ref.shape))
        term_t = (ref * torch.tensor(w, dtype=ref.dtype)).sum()
        if not mine.requires_grad:
            raise Mismatch("an output requires grad in PyTorch but not here")
        term = (mine * ag.tensor(w, dtype=mine.dtype)).sum()
        loss_t = term_t if loss_t is None else loss_t + term_t
        loss = term if loss is None else loss + term
    if loss_t is None:
        return
    # autograd.grad rather than .backward(): a tensor shared by several samples must not
    # accumulate gradients from one comparison into the next
    inputs_t = [t for t in _leaves((fwd.args, fwd.kwargs), True) if t.requires_grad]
    inputs = [t for t in _leaves(args, False) if t.requires_grad]
    if len(inputs) != len(inputs_t):
        raise Mismatch("the inputs requiring grad differ")
    params_t = [p for _, p in theirs.named_parameters() if p.requires_grad]
    names = [n for n, p in theirs.named_parameters() if p.requires_grad]
    ours_params = dict(ours.named_parameters())
    missing = [n for n in names if n not in ours_params]
    if missing:
        raise Mismatch(f"parameters {missing} are missing here")
    params = [ours_params[n] for n in names]
    grads_t = torch.autograd.grad(loss_t, inputs_t + params_t, allow_unused=True)
    grads = ag.autograd.grad(loss, inputs + params, allow_unused=True)
    labels = [f"input {k}" for k in range(len(inputs))] + [repr(n) for n in names]
    for label, mine, ref in zip(labels, grads, grads_t):
        if ref is None:
            continue
        if mine is None:
            raise Mismatch(f"{label} has no gradient here")
        _close(mine, ref, f"grad of {label}", sample.dtype)


def _run_error_sample(sample: Sample, drawn) -> str:
    from torch.testing._internal.common_modules import ModuleErrorEnum

    sample_input = drawn.module_error_input
    expected = drawn.error_type
    try:
        ctor = sample_input.constructor_input
        ours = getattr(nn, sample.module_name)(*to_ours(ctor.args), **to_ours(ctor.kwargs))
        if drawn.error_on == ModuleErrorEnum.FORWARD_ERROR:
            fwd = sample_input.forward_input
            fwd_args, fwd_kwargs = to_ours((fwd.args, fwd.kwargs))
            ours(*fwd_args, **fwd_kwargs)
    except expected:
        return "exact"
    except Exception as error:
        raise Mismatch(f"raised {type(error).__name__}: {error}; PyTorch raises "
                       f"{expected.__name__}") from None
    raise Mismatch(f"no error; PyTorch raises {expected.__name__} ({drawn.error_regex!r})")


# ----------------------------------------------------------------------------- summary
def summary(verbose: bool = False) -> dict:
    """Counts: modules (total, with a counterpart, missing) and samples (agree, disagree)."""
    counts = {"modules": 0, "present": 0, "missing": [], "samples": 0, "exact": 0,
              "shape-only": 0, "failed": []}
    for info in module_db():
        counts["modules"] += 1
        if not has_counterpart(info):
            counts["missing"].append(info.module_cls.__name__)
            continue
        counts["present"] += 1
        for sample in samples_of(info):
            counts["samples"] += 1
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    counts[run_sample(sample)] += 1
            except Exception as error:
                counts["failed"].append((sample.id, f"{type(error).__name__}: {error}"))
    if verbose:
        for sample_id, why in counts["failed"]:
            print(f"FAIL {sample_id}: {why[:300]}")
    return counts


if __name__ == "__main__":
    result = summary(verbose="-v" in sys.argv)
    agree = result["exact"] + result["shape-only"]
    print(f"modules: {result['modules']} in module_db, {result['present']} with a counterpart, "
          f"{len(result['missing'])} missing")
    print(f"samples on the present modules: {agree} of {result['samples']} agree "
          f"({result['shape-only']} of them random layers compared by shape only), "
          f"{len(result['failed'])} disagree")
    print("missing:", " ".join(result["missing"]))
