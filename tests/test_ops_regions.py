"""Diagonals, triangles, slicing and region writes against PyTorch."""

import numpy as np
import pytest

import autograd_core as ag
from tests._torch_compare import compare, torch

R = np.random.default_rng(4)
A = R.normal(size=(3, 4))
B = R.normal(size=(2, 3, 4))
I = np.array([0, 2, 0])


def _both(name, *args, **kw):
    return (lambda *x: getattr(ag, name)(*x, *args, **kw),
            lambda *x: getattr(torch, name)(*x, *args, **kw))


CASES = {
    "diagonal": (_both("diagonal", 1), [A]),
    "diagonal_dims": (_both("diagonal", -1, 2, 0), [B]),
    "diag_embed": (_both("diag_embed", 1, 0, 2), [A]),
    "diag_vec": (_both("diag", -1), [A[0]]),
    "diag_mat": (_both("diag", 2), [A]),
    "diagflat": (_both("diagflat", 1), [A]),
    "trace": (_both("trace"), [A]),
    "tril": (_both("tril", -1), [B]),
    "triu": (_both("triu", 1), [B]),
    "block_diag": ((lambda a, b: ag.block_diag(a, b, b[0, 0]),
                    lambda a, b: torch.block_diag(a, b, b[0, 0])), [A, A[:2, :3]]),
    "select": (_both("select", 1, -1), [B]),
    "tensor_split": ((lambda x: ag.cat(ag.tensor_split(x, [1, -1], 2)[::2], 2),
                      lambda x: torch.cat(torch.tensor_split(x, [1, -1], 2)[::2], 2)), [B]),
    "hsplit": ((lambda x: ag.hsplit(x, 2)[1], lambda x: torch.hsplit(x, 2)[1]), [A]),
    "vsplit": ((lambda x: ag.vsplit(x, [1])[1], lambda x: torch.vsplit(x, [1])[1]), [A]),
    "dsplit": ((lambda x: ag.dsplit(x, 2)[0], lambda x: torch.dsplit(x, 2)[0]), [B]),
    "unfold": ((lambda x: x.unfold(2, 3, 1), lambda x: x.unfold(2, 3, 1)), [B]),
    "unfold_step": ((lambda x: x.unfold(0, 2, 2), lambda x: x.unfold(0, 2, 2)), [A]),
    "select_scatter": (_both("select_scatter", 1, 2), [A, A[:, 0]]),
    "slice_scatter": (_both("slice_scatter", 1, 1, 4, 2), [A, A[:, :2]]),
    "diagonal_scatter": (_both("diagonal_scatter", 1), [A, A[0, :3]]),
    "index_put": ((lambda x, v: ag.index_put(x, (ag.tensor(I),), v),
                   lambda x, v: torch.index_put(x, (torch.tensor(I[:2]),), v)), [A, A[:2]]),
    "index_put_acc": ((lambda x, v: ag.index_put(x, (ag.tensor(I),), v, accumulate=True),
                       lambda x, v: torch.index_put(x, (torch.tensor(I),), v, accumulate=True)),
                      [A, A[1]]),
    "put": ((lambda x, s: ag.put(x, ag.tensor([1, 5, 1]), s, accumulate=True),
             lambda x, s: torch.put(x, torch.tensor([1, 5, 1]), s, accumulate=True)), [A, A[0, :3]]),
}
CASES["index_put"] = ((lambda x, v: ag.index_put(x, (ag.tensor(I[:2]),), v),
                       lambda x, v: torch.index_put(x, (torch.tensor(I[:2]),), v)), [A, A[:2]])


@pytest.mark.parametrize("name", sorted(CASES))
def test_values_and_gradients_match_torch(name):
    (ours, theirs), arrays = CASES[name]
    compare(ours, theirs, arrays)


def test_tensor_methods_and_in_place_index_put():
    x = ag.tensor(A)
    assert x.tril().triu().diagonal().shape == (3,)
    y = x.clone()
    y.index_put_((ag.tensor([0]),), ag.tensor(1.0, dtype=ag.float64), accumulate=True)
    np.testing.assert_allclose(y.numpy()[0], A[0] + 1)


def test_errors_match_torch_classes():
    for ours, theirs in ((lambda m: m.diagonal(0, 1, 1), lambda m: m.diagonal(0, 1, 1)),
                         (lambda m: m.select(0, 5), lambda m: m.select(0, 5)),
                         (lambda m: m.hsplit(3), lambda m: m.hsplit(3)),
                         (lambda m: m.unfold(1, 9, 1), lambda m: m.unfold(1, 9, 1))):
        with pytest.raises(Exception) as theirs_error:
            theirs(torch.tensor(A))
        with pytest.raises(theirs_error.type):
            ours(ag.tensor(A))


def test_second_derivatives_of_the_diagonal_pair():
    x = ag.tensor(A, requires_grad=True)
    v = ag.tensor(A[0], requires_grad=True)
    assert ag.autograd.gradgradcheck(
        lambda a, b: (a.diagonal(1) ** 2).sum() + (ag.diag_embed(b, -1) ** 3).sum()
        + (a.tril() * a.triu()).sum(), (x, v))


def test_diagonal_is_a_view_in_place_writes_reach_the_base_like_torch():
    grads = []
    for lib in (ag, torch):
        x = lib.tensor(A, requires_grad=True)
        y = x * 2
        y.diagonal(1).mul_(3)
        (g,) = lib.autograd.grad((y ** 2).sum(), x)
        grads.append(g.numpy())
        w = lib.zeros(3, 3)
        w.diagonal().fill_(1.0)
        assert w.sum().item() == 3.0
    np.testing.assert_allclose(grads[0], grads[1])
    d = ag.tensor(A).diag()  # diag() of a matrix is a copy, as in PyTorch
    d.fill_(0.0)
    assert d.sum().item() == 0.0
