"""`viz.BackwardTrace` records only its own thread's backward passes: the engine's
observers are per thread, so two threads tracing at once never see each other's steps."""

import threading

import autograd_core as ag
from autograd_core.viz.trace import BackwardTrace


def _graph_nodes(root) -> set:
    seen, stack = set(), [root.grad_fn]
    while stack:
        node = stack.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        stack.extend(child for child, _ in node.next_functions)
    return seen


def test_two_threads_tracing_at_once_each_record_only_their_own_steps():
    barrier = threading.Barrier(2)
    results, errors = {}, []

    def work(name: str, depth: int) -> None:
        try:
            x = ag.ones(3, dtype=ag.float64, requires_grad=True)
            y = x
            for _ in range(depth):
                y = (y * 1.5).tanh()
            loss = y.sum()
            own = _graph_nodes(loss)
            with BackwardTrace({"x": x}) as trace:
                barrier.wait()  # both traces are open before either backward runs
                for _ in range(20):
                    loss.backward(retain_graph=True)
                barrier.wait()  # ... and stay open until both are done
            results[name] = (trace.steps, own)
        except Exception as exc:  # reported below, with the thread's name
            errors.append((name, exc))

    threads = [threading.Thread(target=work, args=("a", 3)),
               threading.Thread(target=work, args=("b", 7))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    for name, depth in (("a", 3), ("b", 7)):
        steps, own = results[name]
        nodes = [s.node for s in steps if s.kind == "node"]
        assert set(nodes) <= own, f"thread {name} recorded another thread's nodes"
        # per pass: sum + depth * (mul, tanh) nodes, then the leaf's accumulation
        assert len(nodes) == 20 * (1 + 2 * depth)
        assert sum(s.kind == "accumulate" for s in steps) == 20
