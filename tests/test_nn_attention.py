"""Attention: `F.scaled_dot_product_attention`, `F.multi_head_attention_forward` and
`nn.MultiheadAttention`.

float64 gradcheck and gradgradcheck (every mask kind, causal, grouped-query); values and
gradients of the inputs and of every parameter against PyTorch from identical weights
(state_dict loaded key for key) with masks of each kind, need_weights on and off, per-head
weights, batch_first both ways, unbatched inputs, kdim/vdim, bias_k/bias_v, add_zero_attn;
dropout; PyTorch's errors for bad masks and shapes; a training step on the fake GPU.
"""

from __future__ import annotations

import numpy as np
import pytest
from fake_cupy import fake_cuda  # noqa: F401
from gradients import check
from hypothesis import given
from hypothesis import strategies as st
from strategies import arrays, layouts, make_tensor

import autograd_core as ag
import nn
from nn import functional as F

torch = pytest.importorskip("torch")


@pytest.fixture(autouse=True, scope="module")
def _torch_single_thread():
    """Tiny tensors: PyTorch's thread pool only contends for the shared cores."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)

RNG = np.random.default_rng(1234)


def _np(t) -> np.ndarray:
    return t.detach().cpu().numpy()


def _pair(array: np.ndarray, grad: bool = True):
    """The same float64 values as (ours, torch's) leaves."""
    ours = ag.tensor(array, requires_grad=grad and array.dtype != bool)
    theirs = torch.tensor(array, requires_grad=grad and array.dtype != bool)
    return ours, theirs


def _randn(*shape) -> np.ndarray:
    return RNG.standard_normal(shape)


def _close(ours, theirs, atol=1e-10) -> None:
    np.testing.assert_allclose(_np(ours), theirs.detach().numpy(), rtol=1e-8, atol=atol)


# ----------------------------------------------------------------- scaled_dot_product_attention
def _bool_mask(shape, dead_row: bool = True) -> np.ndarray:
    mask = RNG.random(shape) > 0.4
    if dead_row:
        mask[..., 1, :] = False  # a query that may look at nothing: zeros, not NaN
    return mask


def _float_mask(shape) -> np.ndarray:
    mask = RNG.standard_normal(shape)
    mask[..., 0, 1] = -np.inf
    mask[..., 2, :] = -np.inf  # all keys masked
    return mask


SDPA_CASES = {
    "plain": ((2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 4), {}),
    "causal": ((2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 4), {"is_causal": True}),
    "causal-longer-query": ((1, 2, 6, 3), (1, 2, 4, 3), (1, 2, 4, 2), {"is_causal": True}),
    "scale": ((2, 4, 5), (2, 6, 5), (2, 6, 3), {"scale": 0.37}),
    "unbatched": ((4, 5), (6, 5), (6, 2), {}),
    "bool-mask": ((2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 4), {"attn_mask": _bool_mask((4, 6))}),
    "bool-mask-per-batch": ((2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 4),
                            {"attn_mask": _bool_mask((2, 1, 4, 6))}),
    "float-mask": ((2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 4),
                   {"attn_mask": _float_mask((3, 4, 6))}),
    "gqa": ((2, 4, 3, 5), (2, 2, 6, 5), (2, 1, 6, 3), {"enable_gqa": True}),
    "broadcast-batch": ((2, 3, 4, 5), (1, 3, 6, 5), (1, 3, 6, 4), {}),
}


@pytest.mark.parametrize("case", SDPA_CASES)
def test_sdpa_values_and_gradients_match_torch(case):
    q_shape, k_shape, v_shape, kwargs = SDPA_CASES[case]
    (q, tq), (k, tk), (v, tv) = (_pair(_randn(*s)) for s in (q_shape, k_shape, v_shape))
    ours_kw, torch_kw = dict(kwargs), dict(kwargs)
    mask = kwargs.get("attn_mask")
    if mask is not None:
        ours_kw["attn_mask"], torch_kw["attn_mask"] = _pair(mask)
    out = F.scaled_dot_product_attention(q, k, v, **ours_kw)
    expected = torch.nn.functional.scaled_dot_product_attention(tq, tk, tv, **torch_kw)
    _close(out, expected)
    assert np.isfinite(_np(out)).all()
    g = _randn(*out.shape)
    out.backward(ag.tensor(g))
    expected.backward(torch.tensor(g))
    for ours, theirs in ((q, tq), (k, tk), (v, tv)):
        _close(ours.grad, theirs.grad)
    if mask is not None and mask.dtype != bool:
        _close(ours_kw["attn_mask"].grad, torch_kw["attn_mask"].grad)


GRADCHECK_CASES = {  # small float64 shapes: (query, key, value, options)
    "plain": ((2, 3, 4), (2, 5, 4), (2, 5, 3), {}),
    "causal": ((2, 3, 4), (2, 5, 4), (2, 5, 3), {"is_causal": True}),
    "bool-mask": ((2, 3, 4), (2, 5, 4), (2, 5, 3), {"attn_mask": _bool_mask((3, 5))}),
    "float-mask": ((2, 3, 4), (2, 5, 4), (2, 5, 3), {"attn_mask": _float_mask((3, 5))}),
    "gqa": ((1, 2, 3, 4), (1, 1, 5, 4), (1, 1, 5, 3), {"enable_gqa": True, "scale": 0.7}),
}


@pytest.mark.parametrize("case", GRADCHECK_CASES)
def test_sdpa_gradcheck_and_gradgradcheck(case):
    q_shape, k_shape, v_shape, kwargs = GRADCHECK_CASES[case]
    inputs = [ag.tensor(_randn(*s), requires_grad=True) for s in (q_shape, k_shape, v_shape)]
    mask = kwargs.get("attn_mask")
    if mask is not None and mask.dtype != bool:  # the float mask is differentiable too
        mask_t = ag.tensor(mask, requires_grad=True)
        check(lambda q, k, v, m: F.scaled_dot_product_attention(q, k, v, attn_mask=m),
              *inputs, mask_t)
        return
    kw = dict(kwargs)
    if mask is not None:
        kw["attn_mask"] = ag.tensor(mask)
    check(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, **kw), *inputs)


@given(data=st.data())
def test_sdpa_matches_torch_on_any_shape_and_layout(data):
    """Batch dims (with broadcasting), L, S, E, Ev from 0/1 up, non-contiguous inputs and
    every mask kind: values and input gradients equal PyTorch's."""
    batch = data.draw(st.lists(st.integers(1, 3), max_size=2).map(tuple))
    tgt, src, e, ev = (data.draw(st.integers(lo, 4)) for lo in (0, 0, 1, 1))
    kind = data.draw(st.sampled_from(["none", "causal", "bool", "float"]))
    shapes = [batch + (tgt, e), batch + (src, e), batch + (src, ev)]
    if batch and data.draw(st.booleans()):  # key and value shared across the first batch dim
        shapes[1] = (1,) + shapes[1][1:]
        shapes[2] = (1,) + shapes[2][1:]
    values = [data.draw(arrays(s)) for s in shapes]
    ours = [make_tensor(v, data.draw(layouts())) for v in values]
    theirs = [torch.tensor(v, requires_grad=True) for v in values]
    kw_ours, kw_theirs = {}, {}
    if kind == "causal":
        kw_ours["is_causal"] = kw_theirs["is_causal"] = True
    elif kind != "none":
        mask_shape = data.draw(st.sampled_from([(tgt, src), (1, src), batch + (tgt, src)]))
        allowed = data.draw(arrays(mask_shape, 0.0, 1.0)) > 0.3
        mask = allowed if kind == "bool" else np.where(allowed, data.draw(arrays(mask_shape)),
                                                       -np.inf)
        kw_ours["attn_mask"], kw_theirs["attn_mask"] = ag.tensor(mask), torch.tensor(mask)
    out = F.scaled_dot_product_attention(*ours, **kw_ours)
    expected = torch.nn.functional.scaled_dot_product_attention(*theirs, **kw_theirs)
    _close(out, expected)
    if out.numel() == 0:
        return
    g = data.draw(arrays(tuple(out.shape)))
    out.backward(ag.tensor(g))
    expected.backward(torch.tensor(g))
    for a, b in zip(ours, theirs):
        _close(a.grad, b.grad)


def test_sdpa_gradient_of_a_float_mask_alone():
    """Only the mask requires grad: the in-place add still puts it in the graph."""
    q, k, v = (_randn(2, 3, 4) for _ in range(3))
    (mask, their_mask) = _pair(_randn(3, 3))
    out = F.scaled_dot_product_attention(ag.tensor(q), ag.tensor(k), ag.tensor(v),
                                         attn_mask=mask)
    expected = torch.nn.functional.scaled_dot_product_attention(
        torch.tensor(q), torch.tensor(k), torch.tensor(v), attn_mask=their_mask)
    out.sum().backward()
    expected.sum().backward()
    _close(mask.grad, their_mask.grad)


def test_sdpa_fully_masked_rows_give_zeros_and_zero_gradients():
    q, k, v = (ag.tensor(_randn(1, 3, 4), requires_grad=True) for _ in range(3))
    mask = ag.tensor([[True, False, True], [False, False, False], [True, True, True]])
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    assert np.all(_np(out)[0, 1] == 0) and np.isfinite(_np(out)).all()
    out.sum().backward()
    assert np.all(_np(q.grad)[0, 1] == 0) and np.isfinite(_np(k.grad)).all()


def test_sdpa_dropout_keeps_the_expectation_and_is_seeded():
    q, k = ag.zeros(1, 64, 8), ag.zeros(1, 64, 8)  # uniform weights 1/64
    v = ag.ones(1, 64, 1)
    ag.manual_seed(3)
    out = F.scaled_dot_product_attention(q, k, v, dropout_p=0.25)
    ag.manual_seed(3)
    again = F.scaled_dot_product_attention(q, k, v, dropout_p=0.25)
    np.testing.assert_array_equal(_np(out), _np(again))
    values = _np(out).ravel()
    assert abs(values.mean() - 1.0) < 0.1 and values.std() > 0.01  # E[dropout(A)] = A
    assert np.all(_np(F.scaled_dot_product_attention(q, k, v, dropout_p=1.0)) == 0)


@pytest.mark.parametrize("kwargs, match", [
    ({"attn_mask": ag.ones(4, 6, dtype=ag.bool), "is_causal": True},
     "attn_mask should not be set when is_causal=True"),
    ({"attn_mask": ag.ones(3, 6, dtype=ag.bool)}, r"attn_mask of shape \[3, 6\].*\[2, 3, 4, 6\]"),
    ({"attn_mask": ag.ones(2, 2, 4, 6, dtype=ag.bool)}, r"\[2, 2, 4, 6\] does not broadcast"),
    ({"attn_mask": ag.ones(4, 6, dtype=ag.int64)}, "attn_mask dtype to be bool or float"),
    ({"attn_mask": ag.ones(4, 6, dtype=ag.float32)}, "attn_mask dtype to be bool or float"),
    ({"dropout_p": 1.5}, "between 0 and 1"),
])
def test_sdpa_errors_name_the_problem(kwargs, match):
    q, k, v = ag.randn(2, 3, 4, 5).double(), ag.randn(2, 3, 6, 5).double(), ag.randn(
        2, 3, 6, 4).double()
    with pytest.raises(RuntimeError, match=match):
        F.scaled_dot_product_attention(q, k, v, **kwargs)


def test_sdpa_shape_and_dtype_errors():
    q = ag.randn(2, 4, 3, 5)
    with pytest.raises(RuntimeError, match=r"\[2, 4, 6, 7\]\) must have the same embedding size"):
        F.scaled_dot_product_attention(q, ag.randn(2, 4, 6, 7), ag.randn(2, 4, 6, 3))
    with pytest.raises(RuntimeError, match="same sequence length"):
        F.scaled_dot_product_attention(q, ag.randn(2, 4, 6, 5), ag.randn(2, 4, 5, 3))
    with pytest.raises(RuntimeError, match="same dtype"):
        F.scaled_dot_product_attention(q.double(), ag.randn(2, 4, 6, 5), ag.randn(2, 4, 6, 3))
    with pytest.raises(RuntimeError, match="at least 2 dimensional"):
        F.scaled_dot_product_attention(ag.randn(5), ag.randn(5), ag.randn(5))
    with pytest.raises(RuntimeError, match="must divide the number of heads in query"):
        F.scaled_dot_product_attention(q, ag.randn(2, 3, 6, 5), ag.randn(2, 3, 6, 3),
                                       enable_gqa=True)
    with pytest.raises(RuntimeError, match="floating-point"):
        F.scaled_dot_product_attention(*(ag.ones(2, 3, dtype=ag.int64),) * 3)


# ----------------------------------------------------------------- MultiheadAttention
def _twins(embed=8, heads=2, **kwargs):
    """Our module and PyTorch's, float64, with PyTorch's weights loaded key for key."""
    theirs = torch.nn.MultiheadAttention(embed, heads, **kwargs).double()
    ours = nn.MultiheadAttention(embed, heads, **kwargs).double()
    state = theirs.state_dict()
    assert list(ours.state_dict()) == list(state)
    ours.load_state_dict({k: ag.tensor(v.numpy()) for k, v in state.items()})
    return ours, theirs


def _compare_mha(ours, theirs, inputs, **kwargs):
    """Forward both with the same inputs and options; compare outputs, weights and the
    gradients of the inputs and of every parameter."""
    pairs = [_pair(a) for a in inputs]
    if inputs[0] is inputs[1] and inputs[1] is inputs[2]:  # self-attention: one tensor
        pairs = [pairs[0]] * 3
    elif inputs[1] is inputs[2]:
        pairs[2] = pairs[1]
    masks_ours, masks_torch = {}, {}
    for name, mask in kwargs.pop("masks", {}).items():
        masks_ours[name], masks_torch[name] = _pair(mask, grad=False)
    out, weights = ours(*[p[0] for p in pairs], **masks_ours, **kwargs)
    expected, expected_weights = theirs(*[p[1] for p in pairs], **masks_torch, **kwargs)
    _close(out, expected)
    if expected_weights is None:
        assert weights is None
    else:
        _close(weights, expected_weights)
    g = _randn(*out.shape)
    loss = (out * ag.tensor(g)).sum()
    expected_loss = (expected * torch.tensor(g)).sum()
    if weights is not None:
        gw = _randn(*weights.shape)
        loss = loss + (weights * ag.tensor(gw)).sum()
        expected_loss = expected_loss + (expected_weights * torch.tensor(gw)).sum()
    loss.backward()
    expected_loss.backward()
    for (a, b) in {id(p[0]): p for p in pairs}.values():
        _close(a.grad, b.grad)
    ours_params = dict(ours.named_parameters())
    for name, p in theirs.named_parameters():
        _close(ours_params[name].grad, p.grad)


def _seq(batch_first, length, batch=3, embed=8):
    return _randn(batch, length, embed) if batch_first else _randn(length, batch, embed)


MHA_CONFIGS = {
    "default": {},
    "batch_first": {"batch_first": True},
    "bias_kv-zero_attn": {"add_bias_kv": True, "add_zero_attn": True},
    "kdim-vdim": {"kdim": 5, "vdim": 3, "batch_first": True},
    "no-bias": {"bias": False},
}


@pytest.mark.parametrize("config", MHA_CONFIGS)
@pytest.mark.parametrize("need_weights, average", [(True, True), (True, False), (False, True)])
def test_mha_matches_torch(config, need_weights, average):
    kwargs = MHA_CONFIGS[config]
    ours, theirs = _twins(**kwargs)
    bf = kwargs.get("batch_first", False)
    opts = {"need_weights": need_weights, "average_attn_weights": average}
    query = _seq(bf, 4)
    if "kdim" in kwargs:
        key = _randn(3, 6, 5)
        _compare_mha(ours, theirs, (query, key, _randn(3, 6, 3)), **opts)
        return
    _compare_mha(ours, theirs, (query, query, query), **opts)  # self-attention
    memory = _seq(bf, 6)
    _compare_mha(ours, theirs, (query, memory, memory), **opts)  # key is value
    _compare_mha(ours, theirs, (query, memory, _seq(bf, 6)), **opts)


def _masks(kind: str, batch=3, heads=2, tgt=4, src=6) -> dict:
    padding = RNG.random((batch, src)) > 0.7
    padding[:, 0] = False  # every query keeps one key
    allowed = RNG.random((tgt, src)) > 0.3
    allowed[:, 0] = True
    per_head = RNG.random((batch * heads, tgt, src)) > 0.7
    per_head[..., 0] = False
    return {
        "key_padding_bool": {"key_padding_mask": padding},
        "key_padding_float": {"key_padding_mask": np.where(padding, -np.inf, 0.0)},
        "attn_bool_2d": {"attn_mask": ~allowed},
        "attn_float_2d": {"attn_mask": np.where(allowed, _randn(tgt, src), -np.inf)},
        "attn_bool_3d": {"attn_mask": per_head},
        "both_bool": {"attn_mask": ~allowed, "key_padding_mask": padding},
        "both_float": {"attn_mask": np.where(allowed, 0.0, -np.inf),
                       "key_padding_mask": np.where(padding, -np.inf, 0.0)},
    }[kind]


@pytest.mark.parametrize("kind", ["key_padding_bool", "key_padding_float", "attn_bool_2d",
                                  "attn_float_2d", "attn_bool_3d", "both_bool", "both_float"])
@pytest.mark.parametrize("need_weights", [True, False])
@pytest.mark.parametrize("extras", [{}, {"add_bias_kv": True, "add_zero_attn": True}])
def test_mha_masks_match_torch(kind, need_weights, extras):
    ours, theirs = _twins(batch_first=True, **extras)
    query, memory = _seq(True, 4), _seq(True, 6)
    _compare_mha(ours, theirs, (query, memory, memory), masks=_masks(kind),
                 need_weights=need_weights)


@pytest.mark.parametrize("need_weights", [True, False])
def test_mha_causal_hint_matches_torch(need_weights):
    ours, theirs = _twins()
    x = _seq(False, 5)
    causal = np.triu(np.ones((5, 5), dtype=bool), 1)
    _compare_mha(ours, theirs, (x, x, x), masks={"attn_mask": causal}, is_causal=True,
                 need_weights=need_weights)


@pytest.mark.parametrize("need_weights", [True, False])
def test_mha_unbatched_matches_torch(need_weights):
    ours, theirs = _twins(batch_first=True)
    x = _randn(5, 8)
    masks = {"key_padding_mask": np.array([False, False, True, False, True]),
             "attn_mask": RNG.random((2, 5, 5)) > 0.8}
    _compare_mha(ours, theirs, (x, x, x), masks=masks, need_weights=need_weights)


@pytest.mark.filterwarnings("ignore:invalid value encountered")  # NumPy on -inf - -inf
def test_mha_fully_padded_sequence_behaves_as_in_torch():
    """NaN with need_weights=True (a plain softmax over -inf), finite without."""
    ours, theirs = _twins(batch_first=True)
    x = _seq(True, 4)
    padding = np.zeros((3, 4), dtype=bool)
    padding[2] = True
    for need_weights in (True, False):
        out, _ = ours(*(ag.tensor(x),) * 3, key_padding_mask=ag.tensor(padding),
                      need_weights=need_weights)
        expected, _ = theirs(*(torch.tensor(x),) * 3, key_padding_mask=torch.tensor(padding),
                             need_weights=need_weights)
        np.testing.assert_allclose(_np(out), _np(expected), rtol=1e-8, atol=1e-10)
        assert np.isnan(_np(out)[2]).all() == need_weights


def test_mha_gradcheck_through_every_input_and_parameter():
    mha = nn.MultiheadAttention(4, 2, add_bias_kv=True, batch_first=True).double()
    names = [n for n, _ in mha.named_parameters()]
    params = [p.detach().clone().requires_grad_() for p in mha.parameters()]
    x = ag.tensor(_randn(1, 3, 4), requires_grad=True)
    mask = ag.tensor([[False, True, False], [False, False, False], [True, False, False]])

    def fn(x, *ps):
        p = dict(zip(names, ps))
        out, w = F.multi_head_attention_forward(
            x, x, x, 4, 2, p["in_proj_weight"], p["in_proj_bias"], p["bias_k"], p["bias_v"],
            False, 0.0, p["out_proj.weight"], p["out_proj.bias"], attn_mask=mask,
            batch_first=True)
        return out, w

    check(fn, x, *params)


def test_mha_state_dict_keys_and_init():
    mha = nn.MultiheadAttention(6, 3, add_bias_kv=True)
    assert list(mha.state_dict()) == ["in_proj_weight", "in_proj_bias", "bias_k", "bias_v",
                                      "out_proj.weight", "out_proj.bias"]
    assert mha.q_proj_weight is None and mha.head_dim == 2 and mha._qkv_same_embed_dim
    assert np.all(_np(mha.in_proj_bias) == 0) and np.all(_np(mha.out_proj.bias) == 0)
    bound = np.sqrt(6.0 / (6 + 18))  # Xavier-uniform on (3E, E)
    assert np.abs(_np(mha.in_proj_weight)).max() <= bound
    separate = nn.MultiheadAttention(6, 3, kdim=4, vdim=5, bias=False)
    assert list(separate.state_dict()) == ["q_proj_weight", "k_proj_weight", "v_proj_weight",
                                           "out_proj.weight"]
    assert tuple(separate.k_proj_weight.shape) == (6, 4)
    assert repr(mha) == repr(torch.nn.MultiheadAttention(6, 3, add_bias_kv=True))


def test_mha_dropout_only_in_training():
    ours, theirs = _twins(dropout=0.5)
    x = _seq(False, 4)
    ours.eval()
    theirs.eval()
    _compare_mha(ours, theirs, (x, x, x))
    ours.train()
    a, _ = ours(ag.tensor(x), ag.tensor(x), ag.tensor(x))
    b, _ = ours(ag.tensor(x), ag.tensor(x), ag.tensor(x))
    assert not np.allclose(_np(a), _np(b))


def test_mha_errors():
    with pytest.raises(AssertionError, match="embed_dim must be divisible by num_heads"):
        nn.MultiheadAttention(10, 3)
    with pytest.raises(ValueError, match="greater than 0"):
        nn.MultiheadAttention(0, 2)
    mha = nn.MultiheadAttention(8, 2)
    x = ag.randn(4, 3, 8)
    with pytest.raises(RuntimeError, match=r"2D attn_mask is \[4, 5\], but should be \[4, 4\]"):
        mha(x, x, x, attn_mask=ag.zeros(4, 5, dtype=ag.bool))
    with pytest.raises(RuntimeError, match=r"3D attn_mask is \[3, 4, 4\], but should be "
                                           r"\[6, 4, 4\]"):
        mha(x, x, x, attn_mask=ag.zeros(3, 4, 4, dtype=ag.bool))
    with pytest.raises(RuntimeError, match=r"2D attn_mask is \[4, 5\], but should be \[4, 4\]"):
        nn.MultiheadAttention(8, 2, add_bias_kv=True)(x, x, x,
                                                      attn_mask=ag.zeros(4, 5, dtype=ag.bool))
    with pytest.raises(AssertionError, match="key_padding_mask"):
        mha(x, x, x, key_padding_mask=ag.zeros(3, 5, dtype=ag.bool))
    with pytest.raises(AssertionError, match="expected `key_padding_mask` to be `None` or 2-D"):
        mha(x, x, x, key_padding_mask=ag.zeros(4, dtype=ag.bool))
    with pytest.raises(RuntimeError, match="Need attn_mask if specifying the is_causal hint"):
        mha(x, x, x, is_causal=True)
    with pytest.raises(AssertionError, match="only bool and floating types"):
        mha(x, x, x, attn_mask=ag.zeros(4, 4, dtype=ag.int64))
    with pytest.raises(AssertionError, match="was expecting embedding dimension of 8"):
        mha(ag.randn(4, 3, 6), x, x)
    with pytest.warns(UserWarning, match="mismatched key_padding_mask and attn_mask"):
        mha(x, x, x, key_padding_mask=ag.zeros(3, 4, dtype=ag.bool), attn_mask=ag.zeros(4, 4))


@pytest.mark.usefixtures("fake_cuda")
def test_attention_training_step_on_the_fake_gpu_equals_the_cpu():
    import optim

    results = []
    for device in ("cpu", "cuda"):
        ag.manual_seed(0)
        mha = nn.MultiheadAttention(8, 2, batch_first=True, add_bias_kv=True).to(device)
        opt = optim.SGD(mha.parameters(), lr=0.1)
        x = ag.tensor(np.random.default_rng(0).standard_normal((2, 5, 8)).astype(np.float32),
                      device=device)
        padding = ag.tensor(np.array([[False] * 5, [False, False, False, True, True]]),
                            device=device)
        causal = ag.tensor(np.triu(np.ones((5, 5), dtype=bool), 1), device=device)
        losses = []
        for need_weights in (True, False):
            out, _ = mha(x, x, x, key_padding_mask=padding, attn_mask=causal,
                         need_weights=need_weights)
            q = x.unflatten(-1, (2, 4)).transpose(1, 2)
            sdpa = F.scaled_dot_product_attention(q, q, q, is_causal=True)
            loss = (out ** 2).mean() + sdpa.sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        results.append((losses, [_np(p) for p in mha.parameters()]))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-5, atol=1e-6)
    for a, b in zip(results[0][1], results[1][1]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
