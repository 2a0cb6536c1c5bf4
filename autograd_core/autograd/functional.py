"""Higher-level derivatives of functions of tensors: vjp, jvp, jacobian, hessian, hvp, vhp.

(Filled in by the autograd functional module; see the docstrings of each function.)
"""
