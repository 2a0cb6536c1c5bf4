"""Making and converting tensors of the small dtypes: ``tensor(..., dtype=uint8)`` (range
checks as PyTorch), NumPy uint8 image data kept as uint8, ``.byte()``/``.char()``/
``.short()``/``.bfloat16()``, ``type()`` names, the legacy constructors, ``item``, printing,
``iinfo``/``finfo``, bfloat16 arithmetic rounded as PyTorch's CPU rounds it, and bfloat16
refused on CUDA."""

from __future__ import annotations

import numpy as np
import pytest
from fake_cupy import fake_cuda  # noqa: F401

import autograd_core as ag

torch = pytest.importorskip("torch")

SMALL = ["uint8", "int8", "int16"]


def _name(d) -> str:
    return str(d).rsplit(".", 1)[-1]


@pytest.mark.parametrize("dtype", SMALL)
@pytest.mark.parametrize("data", [[300], [-1], [256], [200], [-129], [128], 300, [1500.0],
                                  [-3.7], [[1, 2], [3, 4]], [True, False], 5.5])
def test_python_data_converts_or_refuses_as_torch(dtype, data):
    try:
        ref = torch.tensor(data, dtype=getattr(torch, dtype))
    except RuntimeError:
        with pytest.raises(RuntimeError, match="overflow"):
            ag.tensor(data, dtype=getattr(ag, dtype))
        return
    ours = ag.tensor(data, dtype=getattr(ag, dtype))
    assert (_name(ours.dtype), ours.tolist()) == (_name(ref.dtype), ref.tolist())


def test_numpy_image_data_keeps_uint8_and_casts_wrap():
    image = np.arange(24, dtype=np.uint8).reshape(2, 4, 3) * 10
    for make in (ag.tensor, ag.as_tensor, ag.from_numpy):
        t = make(image)
        assert t.dtype is ag.uint8 and t.tolist() == image.tolist()
    for np_dtype, dtype in ((np.int8, ag.int8), (np.int16, ag.int16)):
        assert ag.from_numpy(np.zeros(2, np_dtype)).dtype is dtype
    shared = ag.from_numpy(image)
    image[0, 0, 0] = 7
    assert shared[0, 0, 0].item() == 7
    wrapped = ag.tensor(np.array([300, -1]), dtype=ag.uint8)
    assert wrapped.tolist() == torch.tensor(np.array([300, -1]), dtype=torch.uint8).tolist()


@pytest.mark.parametrize("method,dtype", [("byte", "uint8"), ("char", "int8"), ("short", "int16"),
                                          ("bfloat16", "bfloat16")])
def test_cast_methods_and_type_names(method, dtype):
    values = [1.7, -2.2, 100.0] if dtype != "uint8" else [1.7, 2.2, 200.0]
    ours = getattr(ag.tensor(values), method)()
    ref = getattr(torch.tensor(values), method)()
    assert ours.dtype is getattr(ag, dtype)
    assert ours.float().tolist() == ref.float().tolist()
    assert ours.type().replace("autograd_core", "torch") == ref.type()
    assert ag.tensor(values).to(getattr(ag, dtype)).dtype is ours.dtype
    assert ag.tensor(values).type(ref.type().replace("torch", "autograd_core")).dtype is ours.dtype
    legacy = getattr(ag, ref.type().split(".")[-1])
    assert isinstance(ours, legacy) and not isinstance(ag.tensor(values), legacy)
    assert legacy([1, 2]).dtype is ours.dtype and legacy(2, 3).shape == (2, 3)


def test_item_and_printing():
    assert ag.tensor(3, dtype=ag.int8).item() == 3
    b = ag.tensor(2.3, dtype=ag.bfloat16).item()
    assert type(b) is float and b == torch.tensor(2.3, dtype=torch.bfloat16).item()
    for dtype in SMALL + ["bfloat16"]:
        values = [1.5, 2.3, -0.25] if dtype == "bfloat16" else [1, 2, 100]
        ours = repr(ag.tensor(values, dtype=getattr(ag, dtype)))
        ref = repr(torch.tensor(values, dtype=getattr(torch, dtype)))
        assert ours == ref.replace("torch.", "autograd_core."), dtype


def test_iinfo_and_finfo_match_torch():
    for name in SMALL + ["int32", "int64"]:
        ours, ref = ag.iinfo(getattr(ag, name)), torch.iinfo(getattr(torch, name))
        assert (ours.bits, ours.min, ours.max, repr(ours)) == (ref.bits, ref.min, ref.max, repr(ref))
    for name in ["float16", "bfloat16", "float32", "float64"]:
        ours, ref = ag.finfo(getattr(ag, name)), torch.finfo(getattr(torch, name))
        for field in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution"):
            assert getattr(ours, field) == getattr(ref, field), (name, field)
        assert repr(ours) == repr(ref)
    assert ag.finfo().eps == torch.finfo().eps
    with pytest.raises(TypeError, match="finfo"):
        ag.iinfo(ag.float32)
    with pytest.raises(TypeError, match="iinfo"):
        ag.finfo(ag.uint8)
    with pytest.raises(TypeError):
        ag.iinfo(ag.bool)


def test_bfloat16_arithmetic_rounds_like_torch():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=50).astype(np.float32), rng.normal(size=50).astype(np.float32)
    x, y = ag.tensor(a).bfloat16(), ag.tensor(b).bfloat16()
    xt, yt = torch.tensor(a).bfloat16(), torch.tensor(b).bfloat16()
    for f in (lambda p, q: p + q, lambda p, q: p * q, lambda p, q: p / q, lambda p, q: p - 0.1,
              lambda p, q: p.exp(), lambda p, q: p.tanh(), lambda p, q: p.abs().sqrt(),
              lambda p, q: p.softmax(0), lambda p, q: p.sum(), lambda p, q: p.mean(),
              lambda p, q: p.trunc(), lambda p, q: p > q, lambda p, q: p.clamp(-0.5, 0.5),
              lambda p, q: p.logsumexp(0), lambda p, q: p.maximum(q), lambda p, q: p.sort()[0]):
        ours, ref = f(x, y), f(xt, yt)
        assert _name(ours.dtype) == _name(ref.dtype)
        assert ours.float().tolist() == ref.float().tolist()
    assert ag.tensor([1.0], dtype=ag.bfloat16).requires_grad_().requires_grad


@pytest.mark.usefixtures("fake_cuda")
def test_small_ints_on_cuda_and_bfloat16_refused_there_with_the_fix():
    image = np.arange(2 * 4 * 4 * 3, dtype=np.uint8).reshape(2, 4, 4, 3) * 2
    cpu = ag.from_numpy(image).permute(0, 3, 1, 2).float().div(255)
    on_gpu = ag.from_numpy(image).to("cuda")
    assert on_gpu.dtype is ag.uint8 and on_gpu.is_cuda
    np.testing.assert_array_equal(on_gpu.permute(0, 3, 1, 2).float().div(255).cpu().numpy(),
                                  cpu.numpy())
    for dtype in (ag.int8, ag.int16):
        t = ag.tensor([1, -2, 3], dtype=dtype, device="cuda")
        assert (t * 2).dtype is dtype and (t * 2).cpu().tolist() == [2, -4, 6]
    assert (ag.tensor([200], dtype=ag.uint8, device="cuda") + 100).cpu().tolist() == [44]
    x = ag.tensor([1.0, 2.0], device="cuda")
    for make in (lambda: x.bfloat16(), lambda: x.to(ag.bfloat16), lambda: x.view(ag.bfloat16),
                 lambda: ag.tensor([1.0], dtype=ag.bfloat16, device="cuda"),
                 lambda: ag.tensor([1.0], dtype=ag.bfloat16).cuda()):
        with pytest.raises(TypeError, match="float16 or float32"):
            make()


def test_float_to_small_int_casts_match_torch_without_warnings():
    import warnings

    values = [-1.0, 256.0, 300.7, -129.5, 127.9, 0.5]
    for method in ("byte", "char", "short"):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            ours = getattr(ag.tensor(values), method)().tolist()
        assert ours == getattr(torch.tensor(values), method)().tolist(), method


def test_a_uint8_index_is_a_mask_and_int8_int16_indices_are_refused():
    x, xt = ag.tensor([10.0, 20.0, 30.0]), torch.tensor([10.0, 20.0, 30.0])
    with pytest.warns(UserWarning, match="uint8"):
        ours = x[ag.tensor([1, 0, 1], dtype=ag.uint8)]
    with pytest.warns(UserWarning):
        assert ours.tolist() == xt[torch.tensor([1, 0, 1], dtype=torch.uint8)].tolist()
    for name in ("int8", "int16"):
        with pytest.raises(IndexError):
            xt[torch.tensor([1, 0], dtype=getattr(torch, name))]
        with pytest.raises(IndexError, match="long, int, byte or bool"):
            x[ag.tensor([1, 0], dtype=getattr(ag, name))]


def test_a_bfloat16_model_infers_like_torch():
    import nn

    torch.manual_seed(0)
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3),
                                 torch.nn.Softmax(dim=1)).bfloat16()
    ours = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3), nn.Softmax(dim=1))
    ours.load_state_dict({k: ag.tensor(v.float().numpy()) for k, v in theirs.state_dict().items()})
    ours.bfloat16()
    assert all(p.dtype is ag.bfloat16 for p in ours.parameters())
    x = torch.randn(6, 4).bfloat16()
    with ag.no_grad():
        y = ours(ag.tensor(x.float().numpy()).bfloat16())
    assert y.dtype is ag.bfloat16
    np.testing.assert_array_equal(y.float().numpy(), theirs(x).float().detach().numpy())
    a, b = torch.randn(3, 5).bfloat16(), torch.randn(2, 5, 4).bfloat16()
    mine = ag.tensor(a.float().numpy()).bfloat16() @ ag.tensor(b.float().numpy()).bfloat16()
    assert mine.dtype is ag.bfloat16
    np.testing.assert_array_equal(mine.float().numpy(), (a @ b).float().numpy())


def test_factories_of_the_small_dtypes_match_torch():
    cases = [lambda L: L.full((2,), -1, dtype=L.uint8), lambda L: L.arange(5, dtype=L.int8),
             lambda L: L.arange(0, 1, 0.25, dtype=L.bfloat16), lambda L: L.eye(2, dtype=L.uint8),
             lambda L: L.linspace(0, 10, 5, dtype=L.int16), lambda L: L.ones(2, dtype=L.bfloat16),
             lambda L: L.zeros_like(L.ones(2, dtype=L.int16)), lambda L: L.full((2,), 2.5, dtype=L.int8)]
    for make in cases:
        ours, ref = make(ag), make(torch)
        assert (_name(ours.dtype), ours.float().tolist()) == (_name(ref.dtype), ref.float().tolist())
    with pytest.raises(RuntimeError, match="overflow"):
        ag.full((2,), 300, dtype=ag.uint8)
    for draw in (ag.rand, ag.randn):
        sample = draw(1000, dtype=ag.bfloat16)
        assert sample.dtype is ag.bfloat16 and 0.0 < sample.float().std().item() < 1.5
    assert ag.randint(0, 200, (50,), dtype=ag.uint8).dtype is ag.uint8
