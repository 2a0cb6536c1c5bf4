"""PyTorch's ``layout=`` and ``pin_memory=`` factory arguments: strided is the only layout."""

from __future__ import annotations

import pickle

import pytest

import autograd_core as ag

FACTORIES = {
    "zeros": lambda **kw: ag.zeros(2, 3, **kw),
    "ones": lambda **kw: ag.ones(2, **kw),
    "empty": lambda **kw: ag.empty(2, **kw),
    "full": lambda **kw: ag.full((2,), 1.5, **kw),
    "eye": lambda **kw: ag.eye(2, **kw),
    "arange": lambda **kw: ag.arange(3, **kw),
    "linspace": lambda **kw: ag.linspace(0, 1, 4, **kw),
    "logspace": lambda **kw: ag.logspace(0, 1, 4, **kw),
    "rand": lambda **kw: ag.rand(2, **kw),
    "randn": lambda **kw: ag.randn(2, **kw),
    "randint": lambda **kw: ag.randint(0, 5, (2,), **kw),
    "randperm": lambda **kw: ag.randperm(4, **kw),
    "normal": lambda **kw: ag.normal(0.0, 1.0, (2,), **kw),
    "zeros_like": lambda **kw: ag.zeros_like(ag.ones(2), **kw),
    "ones_like": lambda **kw: ag.ones_like(ag.ones(2), **kw),
    "empty_like": lambda **kw: ag.empty_like(ag.ones(2), **kw),
    "full_like": lambda **kw: ag.full_like(ag.ones(2), 3.0, **kw),
    "rand_like": lambda **kw: ag.rand_like(ag.ones(2), **kw),
    "randn_like": lambda **kw: ag.randn_like(ag.ones(2), **kw),
    "randint_like": lambda **kw: ag.randint_like(ag.ones(2), 0, 5, **kw),
}


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_factories_take_strided_and_pin_memory_and_refuse_sparse(name):
    make = FACTORIES[name]
    for kwargs in ({"layout": ag.strided}, {"layout": None}, {"pin_memory": False},
                   {"pin_memory": True}):
        assert make(**kwargs).layout is ag.strided
    with pytest.raises(NotImplementedError, match=rf"{name}\(layout=autograd_core.sparse_coo\).*strided"):
        make(layout=ag.sparse_coo)
    with pytest.raises(TypeError, match="layout must be"):
        make(layout="strided")


def test_tensors_are_strided_and_layouts_pickle_as_themselves():
    t = ag.ones(2, 2)
    assert t.layout is ag.strided and not t.is_sparse and repr(t.layout) == "autograd_core.strided"
    assert pickle.loads(pickle.dumps(ag.sparse_csr)) is ag.sparse_csr


def test_layouts_match_pytorchs_names():
    torch = pytest.importorskip("torch")
    for name in ("strided", "sparse_coo", "sparse_csr", "sparse_csc", "sparse_bsr", "sparse_bsc"):
        assert repr(getattr(ag, name)).split(".")[1] == repr(getattr(torch, name)).split(".")[1]

