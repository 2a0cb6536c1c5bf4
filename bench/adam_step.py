"""One Adam step over 10 million float32 parameters: `optim.Adam` vs hand-written NumPy.

Contenders, timed in the same run (interleaved, median after warm-up):

- ``optim.Adam.step()`` on one 10M-element parameter (its ``.grad`` set);
- the same update written by hand in NumPy, in place with ``out=`` and one preallocated
  scratch array (whole arrays: about a dozen passes through memory);
- the same again, walked in cache-sized blocks (what `optim` does on the CPU), the
  fastest NumPy form we know.

The script first checks that all three compute the same step, then prints the timings
and the ratio of `optim.Adam` to the fastest hand-written form. With ``--device cuda``
(needs CuPy and a GPU) it times the fused kernel against the whole-array form on the GPU.

Run: ``python -m bench.adam_step [--size N] [--repeats R] [--device cpu|cuda]``.
"""

from __future__ import annotations

import argparse

import numpy as np

import autograd_core as ag
from autograd_core import optim

from .timing import compare, environment
from .workloads._common import bare_arrays

LR, BETA1, BETA2, EPS = 1e-3, 0.9, 0.999, 1e-8
BLOCK = 32768


class HandAdam:
    """Adam on raw arrays, in place: m, v and one scratch array, Python-float constants."""

    def __init__(self, param, xp, blocked: bool) -> None:
        self.p, self.xp, self.blocked = param, xp, blocked
        self.m = xp.zeros_like(param)
        self.v = xp.zeros_like(param)
        self.scratch = xp.empty(BLOCK if blocked else param.size, param.dtype)
        self.t = 0

    def step(self, g) -> None:
        self.t += 1
        bc1 = 1.0 - BETA1 ** self.t
        bc2_sqrt = (1.0 - BETA2 ** self.t) ** 0.5
        coef, eps = LR * bc2_sqrt / bc1, EPS * bc2_sqrt
        if not self.blocked:
            self._update(self.p, g, self.m, self.v, self.scratch, coef, eps)
            return
        p, m, v, n = self.p.reshape(-1), self.m.reshape(-1), self.v.reshape(-1), self.p.size
        g = g.reshape(-1)
        for i in range(0, n, BLOCK):
            j = min(i + BLOCK, n)
            self._update(p[i:j], g[i:j], m[i:j], v[i:j], self.scratch[: j - i], coef, eps)

    def _update(self, p, g, m, v, t, coef, eps) -> None:
        xp = self.xp
        m *= BETA1                       # m = β1 m + (1 - β1) g
        xp.multiply(g, 1.0 - BETA1, out=t)
        m += t
        v *= BETA2                       # v = β2 v + (1 - β2) g²
        xp.multiply(g, g, out=t)
        t *= 1.0 - BETA2
        v += t
        xp.sqrt(v, out=t)                # θ -= η/bc1 · m / (sqrt(v)/sqrt(bc2) + ε)
        t += eps
        xp.divide(m, t, out=t)
        t *= coef
        p -= t


def run(size: int, repeats: int, device: str) -> dict:
    xp, to_host, sync = bare_arrays(device)
    rng = np.random.default_rng(0)
    host_param = rng.standard_normal(size, dtype=np.float32)
    host_grad = rng.standard_normal(size, dtype=np.float32)

    param = ag.tensor(host_param, device=device, requires_grad=True)
    param.grad = ag.tensor(host_grad, device=device)
    opt = optim.Adam([param], lr=LR, betas=(BETA1, BETA2), eps=EPS)
    grad_array = xp.asarray(host_grad)
    hands = {"numpy whole arrays": HandAdam(xp.asarray(host_param.copy()), xp,
                                            blocked=False)}
    if device == "cpu":
        hands["numpy cache-blocked"] = HandAdam(host_param.copy(), xp, blocked=True)

    # the same numbers first
    opt.step()
    ours = param.detach().cpu().numpy()
    for name, hand in hands.items():
        hand.step(grad_array)
        theirs = to_host(hand.p)
        if not np.allclose(ours, theirs, rtol=1e-5, atol=1e-7):
            raise SystemExit(f"optim.Adam and the {name} form disagree after one step")

    contenders = {"optim.Adam.step": opt.step}
    for name, hand in hands.items():
        contenders[name] = (lambda hand=hand: hand.step(grad_array))
    return compare(contenders, repeats=repeats, warmup=2, sync=sync)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=10_000_000)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    args = parser.parse_args(argv)

    for key, value in environment().items():
        print(f"{key:>8}: {value}")
    print(f"  device: {args.device}; {args.size:,} float32 parameters, "
          f"median of {args.repeats} runs after warm-up\n")
    timings = run(args.size, args.repeats, args.device)
    for timing in timings.values():
        print(timing)
    ours = timings["optim.Adam.step"].median
    hand = {k: v for k, v in timings.items() if k != "optim.Adam.step"}
    fastest = min(hand.values(), key=lambda t: t.median)
    print()
    for name, timing in hand.items():
        print(f"optim.Adam / {name}: {ours / timing.median:.2f}x")
    print(f"ratio to the fastest hand-written form ({fastest.name}): "
          f"{ours / fastest.median:.2f}x (target <= 1.5x)")


if __name__ == "__main__":
    main()
