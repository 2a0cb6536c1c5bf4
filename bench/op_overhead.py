"""The cost of recording one operation: a chain ``y = y * 1.0001`` of many nodes on a tiny
tensor, so that the arithmetic is negligible and what is timed is the bookkeeping (the
node, the output tensor, what is saved, the garbage collector walking the growing graph).

Reports microseconds per op for the forward (recording), per node for a plain backward and
per node for a backward that records its own graph (``create_graph=True``, the path of
higher-order gradients), for us and for PyTorch, each run in a fresh process, the two
alternating (process time by default: less sensitive to other load on the machine), median
over the repeats.

Run: ``python -m bench.op_overhead [--nodes 100000] [--repeats 5] [--clock wall]``.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

import autograd_core as ag

from .timing import environment


def _chain(library: str, nodes: int, clock) -> tuple[float, float, float]:
    """(us per recorded op, us per node of the backward, us per node of a create_graph
    backward) for chains of ``nodes`` ops."""
    if library == "pytorch":
        import torch as lib

        lib.set_num_threads(1)
    else:
        lib = ag
    for n in (min(nodes, 1000), nodes):  # a short warm-up chain first
        x = lib.ones(16, requires_grad=True)
        y = x
        start = clock()
        for _ in range(n):
            y = y * 1.0001
        recorded = clock()
        y.sum().backward()
        done = clock()
        del x, y
    x = lib.ones(16, requires_grad=True)
    y = x
    for _ in range(nodes):
        y = y * 1.0001
    start_graph = clock()
    y.sum().backward(create_graph=True)
    graphed = clock()
    del x, y
    return ((recorded - start) / nodes * 1e6, (done - recorded) / nodes * 1e6,
            (graphed - start_graph) / nodes * 1e6)


def _in_own_process(library: str, nodes: int, clock: str) -> tuple[float, float, float] | None:
    """`_chain` in a fresh interpreter: the other library's Python objects (PyTorch's import
    alone makes ~160,000) would otherwise lengthen every full garbage collection."""
    out = subprocess.run([sys.executable, "-m", __spec__.name, "--one", library, "--nodes",
                          str(nodes), "--clock", clock], capture_output=True, text=True)
    if out.returncode != 0:
        if library == "pytorch" and "ModuleNotFoundError" in out.stderr:
            return None
        raise RuntimeError(out.stderr)
    forward, backward, graphed = out.stdout.split()
    return float(forward), float(backward), float(graphed)


def run(nodes: int, repeats: int, clock: str) -> dict[str, tuple[float, float, float]]:
    samples: dict[str, list[tuple[float, float, float]]] = {"autograd_core": [], "pytorch": []}
    for _ in range(repeats):  # alternating, so drifting load affects both alike
        for name in list(samples):
            result = _in_own_process(name, nodes, clock)
            if result is None:
                print("  (PyTorch not installed: no PyTorch row)")
                del samples[name]
                continue
            samples[name].append(result)
    result = {name: tuple(statistics.median(s[k] for s in runs) for k in range(3))
              for name, runs in samples.items()}
    print(f"\nchain y = y * 1.0001 of {nodes} nodes on 16 float32 elements, one process per "
          f"run, median of {repeats} ({clock} clock):")
    for name, (fwd, bwd, graphed) in result.items():
        print(f"  {name:>14}: forward {fwd:6.2f} us/op   backward {bwd:6.2f} us/node   "
              f"create_graph backward {graphed:6.2f} us/node")
    if "pytorch" in result:
        ours, theirs = result["autograd_core"], result["pytorch"]
        print(f"  ours/pytorch: forward {ours[0] / theirs[0]:.2f}x   backward "
              f"{ours[1] / theirs[1]:.2f}x   create_graph backward {ours[2] / theirs[2]:.2f}x")
    return result


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--nodes", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--clock", choices=("cpu", "wall"), default="cpu",
                        help="process time (default) or wall-clock time")
    parser.add_argument("--one", choices=("autograd_core", "pytorch"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:  # the child process of `_in_own_process`
        clock = time.process_time if args.clock == "cpu" else time.perf_counter
        print(*_chain(args.one, args.nodes, clock))
        return
    for key, value in environment().items():
        print(f"{key:>8}: {value}")
    run(args.nodes, args.repeats, args.clock)


if __name__ == "__main__":
    main()
