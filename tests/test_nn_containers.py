"""The `nn` containers: Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict
and Identity (indexing, slicing, mutation, key order as in PyTorch)."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest
from nn_models import Linear, _values

import autograd_core as ag
import nn
from nn import Parameter


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
