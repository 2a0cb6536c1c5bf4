"""Seeing backpropagation: drawings of the backward graph.

- `make_dot` draws the graph of one or more tensors (values, gradients, broadcasts,
  saved tensors, module clusters) with Graphviz; the result shows itself in Jupyter
  and saves itself with `save` (SVG, PNG, PDF).
- `module_scopes` records which ``nn`` module made each node, for clusters.
- `trace_backward` (or ``with BackwardTrace():``) records each step of backward: the node,
  the gradient arriving, the local rule, what it sends along each edge; shown as a table,
  frames, a GIF or a step-through in Jupyter.
- `GradientFlow` records per-layer gradient norms and weight-update ratios during training;
  `plot_gradient_flow` compares runs (vanishing and exploding gradients).
"""

from .dot import make_dot
from .gradient_flow import GradientFlow, GradientFlowCallback, plot_gradient_flow
from .modules import ModuleScopes, module_scopes
from .render import Drawing, missing_dot_message, save
from .trace import BackwardTrace, trace_backward

__all__ = ["BackwardTrace", "Drawing", "GradientFlow", "GradientFlowCallback", "ModuleScopes", "make_dot",
           "missing_dot_message", "module_scopes", "plot_gradient_flow", "save", "trace_backward"]
