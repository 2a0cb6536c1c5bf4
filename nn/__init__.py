"""`nn`: neural-network modules, layers, losses and initialisation (plays ``torch.nn``).

Built only on the public API of `autograd_core`. Work in progress: the modules arrive with
the `nn` issue; until then this package holds nothing.
"""
