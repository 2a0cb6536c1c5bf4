"""Conformance of attention and the Transformer modules with PyTorch's own samples.

Every sample of PyTorch's ModuleInfo database (``torch.testing._internal.common_modules``)
for `MultiheadAttention`, `TransformerEncoderLayer`, `TransformerDecoderLayer`,
`TransformerEncoder`, `TransformerDecoder` and `Transformer` is run in both libraries in
float64 from identical weights: constructor arguments, forward arguments and masks as the
database gives them (unbatched inputs, bool masks, norm_first, bias=False, gelu...). The
outputs, the gradients of the inputs and of every parameter must agree. Likewise the
OpInfo samples (``common_methods_invocations.op_db``) of `scaled_dot_product_attention`
and `multi_head_attention_forward`; those with dropout are random in both libraries, so
there only shapes and finiteness are compared. The harness is ours.
"""

from __future__ import annotations

import importlib
import warnings

import numpy as np
import pytest

import autograd_core as ag
import nn
from nn import functional as F

torch = pytest.importorskip("torch")

NAMES = ("MultiheadAttention", "TransformerEncoderLayer", "TransformerDecoderLayer",
         "TransformerEncoder", "Transformer")  # (the database has no TransformerDecoder)


def _import_databases() -> tuple:
    """PyTorch's ModuleInfo and OpInfo databases, imported without side effects on the rest
    of the suite: importing PyTorch's test utilities loads PyTorch's own hypothesis profile
    (redefining one named "dev") and locks the torch.backends flags, so the active profile,
    our "dev" profile and the flag are put back right after."""
    import hypothesis

    active = hypothesis.settings.default
    try:
        our_dev = hypothesis.settings.get_profile("dev")
    except Exception:  # (hypothesis raises InvalidArgument for an unknown profile)
        our_dev = None
    flag_name = "__allow_nonbracketed_mutation_flag"
    flag = getattr(torch.backends, flag_name, True)
    try:
        modules = importlib.import_module("torch.testing._internal.common_modules")
        methods = importlib.import_module("torch.testing._internal.common_methods_invocations")
    except ImportError as error:
        pytest.skip(f"PyTorch's test databases are not importable: {error}")
    finally:
        hypothesis.settings.register_profile("autograd_core-active", active)
        hypothesis.settings.load_profile("autograd_core-active")
        if our_dev is not None:
            hypothesis.settings.register_profile("dev", our_dev)
        setattr(torch.backends, flag_name, flag)
    return modules, methods


@pytest.fixture(scope="module")
def infos() -> dict:
    """The ModuleInfo entries of the attention and Transformer modules, by class name."""
    modules, _ = _import_databases()
    return {info.module_cls.__name__: info for info in modules.module_db
            if info.module_cls.__name__ in NAMES}


@pytest.fixture(scope="module")
def op_db() -> list:
    return _import_databases()[1].op_db


@pytest.fixture(autouse=True, scope="module")
def _torch_single_thread():
    """Tiny tensors: PyTorch's thread pool only contends for the shared cores."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)



from module_db_harness import layer_like as _layer_like  # noqa: E402


def _ours(value):
    """A PyTorch constructor or forward argument as ours."""
    if isinstance(value, torch.Tensor):
        return ag.tensor(value.detach().numpy(), requires_grad=value.requires_grad)
    if isinstance(value, torch.nn.Module):
        return _layer_like(value)
    if value is torch.nn.functional.relu:
        return F.relu
    if value is torch.nn.functional.gelu:
        return F.gelu
    if isinstance(value, (list, tuple)):
        return type(value)(_ours(v) for v in value)
    return value


def _tensors(out) -> list:
    return [o for o in (out if isinstance(out, tuple) else (out,)) if o is not None]


def _run_sample(info, sample) -> None:
    ctor, fwd = sample.constructor_input, sample.forward_input
    name = info.module_cls.__name__
    theirs = info.module_cls(*ctor.args, **ctor.kwargs).double()
    ours = getattr(nn, name)(*_ours(ctor.args), **{k: _ours(v) for k, v in
                                                    ctor.kwargs.items()}).double()
    state = theirs.state_dict()
    assert list(ours.state_dict()) == list(state)
    ours.load_state_dict({k: ag.tensor(v.numpy()) for k, v in state.items()})
    their_args = [a.detach().clone().requires_grad_(a.requires_grad)
                  if isinstance(a, torch.Tensor) else a for a in fwd.args]
    our_args = [_ours(a) for a in their_args]
    their_kwargs = dict(fwd.kwargs)
    our_kwargs = {k: _ours(v) for k, v in their_kwargs.items()}
    expected = _tensors(theirs(*their_args, **their_kwargs))
    out = _tensors(ours(*our_args, **our_kwargs))
    assert len(out) == len(expected)
    rng = np.random.default_rng(0)
    loss, expected_loss = 0, 0
    for o, e in zip(out, expected):
        np.testing.assert_allclose(o.detach().numpy(), e.detach().numpy(), rtol=1e-7,
                                   atol=1e-10)
        g = rng.standard_normal(tuple(e.shape))
        keep = np.isfinite(e.detach().numpy())  # PyTorch's NaN rows (all keys masked)
        loss = loss + (o * ag.tensor(g * keep)).masked_fill(ag.tensor(~keep), 0.0).sum()
        expected_loss = expected_loss + (e * torch.tensor(g * keep)).masked_fill(
            torch.tensor(~keep), 0.0).sum()
    loss.backward()
    expected_loss.backward()
    for a, b in zip(our_args, their_args):
        if isinstance(b, torch.Tensor) and b.requires_grad:
            np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-7, atol=1e-10)
    params = dict(ours.named_parameters())
    for key, p in theirs.named_parameters():
        if p.grad is not None:
            np.testing.assert_allclose(params[key].grad.numpy(), p.grad.numpy(), rtol=1e-7,
                                       atol=1e-10, err_msg=key)


@pytest.mark.parametrize("name", NAMES)
def test_every_moduleinfo_sample_matches_torch(name, infos):
    info = infos[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # nested-tensor and mixed-mask notices, both sides
        samples = info.module_inputs_func(info, device="cpu", dtype=torch.float64,
                                          requires_grad=True, training=True)
        failures = []
        for i, sample in enumerate(samples):
            try:
                _run_sample(info, sample)
            except AssertionError as error:
                failures.append(f"sample {i} ({sample.desc}): {str(error)[:300]}")
    assert len(samples) > 0
    assert not failures, f"{len(failures)}/{len(samples)} samples differ:\n" + "\n".join(
        failures)


OPS = {"nn.functional.scaled_dot_product_attention": F.scaled_dot_product_attention,
       "nn.functional.multi_head_attention_forward": F.multi_head_attention_forward}


def _deterministic(kwargs: dict) -> dict:
    """The same call without dropout (SDPA's dropout_p = 0; multi-head attention in
    evaluation mode)."""
    if "dropout_p" in kwargs:
        return {**kwargs, "dropout_p": 0.0}
    return {**kwargs, "training": False}


@pytest.mark.parametrize("op_name", OPS)
def test_every_opinfo_sample_matches_torch(op_name, op_db):
    (info,) = [op for op in op_db if op.name == op_name]
    samples = list(info.sample_inputs("cpu", torch.float64, requires_grad=True))
    assert samples
    for sample in samples:
        kwargs = dict(sample.kwargs)
        random = kwargs.get("dropout_p", 0.0) > 0 or (
            len(sample.args) > 9 and sample.args[9] > 0 and kwargs.get("training", True))
        calls = [(kwargs, True), (_deterministic(kwargs), False)] if random else [
            (kwargs, False)]
        for call_kwargs, is_random in calls:
            their_args = [a.detach().clone().requires_grad_(a.requires_grad)
                          if isinstance(a, torch.Tensor) else a
                          for a in (sample.input, *sample.args)]
            our_args = [_ours(a) for a in their_args]
            expected = _tensors(info.op(*their_args, **call_kwargs))
            out = _tensors(OPS[op_name](*our_args, **{k: _ours(v)
                                                      for k, v in call_kwargs.items()}))
            assert [tuple(o.shape) for o in out] == [tuple(e.shape) for e in expected]
            sum(o.sum() for o in out).backward()
            if is_random:
                assert all(np.isfinite(o.detach().numpy()).all() for o in out)
                continue
            sum(e.sum() for e in expected).backward()
            for o, e in zip(out, expected):
                np.testing.assert_allclose(o.detach().numpy(), e.detach().numpy(),
                                           rtol=1e-7, atol=1e-10)
            for a, b in zip(our_args, their_args):
                if isinstance(b, torch.Tensor) and b.requires_grad:
                    np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-7,
                                               atol=1e-10)
