"""bfloat16's NumPy dtype (ml_dtypes) is loaded when first needed, not at import.

``import ml_dtypes`` registers a dozen dtypes with NumPy and took 0.7 s of the 1.5 s that
``import autograd_core`` cost (ml_dtypes 0.7, NumPy 2.4); a program that never uses bfloat16
should not pay it, nor should every worker process it starts.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap


def _run(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_a_float32_training_step_does_not_import_ml_dtypes():
    out = _run("""
        import sys
        import autograd_core as torch
        from autograd_core import nn, optim
        model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
        opt = optim.SGD(model.parameters(), lr=0.1)
        loss = nn.functional.cross_entropy(model(torch.randn(5, 4)), torch.tensor([0, 1, 0, 1, 1]))
        loss.backward()
        opt.step()
        print(repr(torch.bfloat16), torch.bfloat16.is_floating_point, torch.bfloat16.itemsize,
              "ml_dtypes" in sys.modules)
    """)
    assert out == "autograd_core.bfloat16 True 2 False"


def test_bfloat16_loads_when_used_and_from_arrays_made_before():
    out = _run("""
        import ml_dtypes, numpy as np
        a = np.array([1.5, -2.0], dtype=ml_dtypes.bfloat16)  # before autograd_core knows it
        import autograd_core as torch
        t = torch.from_numpy(a)
        print(t.dtype, torch.tensor(a).dtype, t.is_floating_point(), (t * 2).tolist(),
              torch.finfo(torch.bfloat16).eps, torch.ones(2, dtype="bfloat16").dtype)
    """)
    assert out == ("autograd_core.bfloat16 autograd_core.bfloat16 True [3.0, -4.0] 0.0078125 "
                   "autograd_core.bfloat16")
