import autograd_core as ag


def test_chain_rule_on_a_reused_node():
    x = ag.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = ((x + x) * x).sum()  # 2 x^2  -> dy/dx = 4x
    y.backward()
    assert x.grad.tolist() == [4.0, 8.0, 12.0]
