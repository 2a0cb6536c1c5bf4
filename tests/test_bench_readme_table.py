"""`--readme-table`: the README's benchmark block is written by the command (machine, threads,
command, ratios of the run), replacing only the block of its own thread count."""

from __future__ import annotations

from bench import readme_table, report
from bench.report import Measurement, Results
from bench.workloads import OURS


def _results(threads: int, ours_ms: float) -> Results:
    def m(contender, median):
        return Measurement("mlp", 32, "", "cpu", contender, median, median, median, 3, 32, None, 1.0, 1.0)

    env = {"cpu": "Test CPU 9000", "cores": "2", "numpy": "2.4", "blas": "openblas", "python": "3.11",
           "pytorch": "2.13", "date": "today", "load_average": "0.50, 0.40, 0.30"}
    results = Results(f"python -m bench --threads {threads}", env, {"threads": threads, "clock": "cpu"},
                      workloads={"mlp": {"title": "MLP step"}},
                      measurements=[m(OURS, ours_ms / 1e3), m("pytorch", 2e-3), m("numpy (by hand)", 4e-3)])
    report.annotate(results)
    return results


def test_block_names_the_machine_threads_command_and_ratios():
    text = readme_table.block(_results(1, 3.0))
    assert "Test CPU 9000 (2 cores)" in text and "1 thread per library" in text
    assert "`python -m bench --threads 1`" in text and "load average 0.50, 0.40, 0.30" in text
    assert "| MLP step | 32 | 3.00 | 1.50x | 0.75x |" in text and "the process's CPU time" in text
    assert "ours / pytorch" in text and "ours / numpy (by hand)" in text


def test_update_replaces_only_its_own_thread_count(tmp_path):
    readme = tmp_path / "README.md"
    one_start, one_end = readme_table.markers(1)
    readme.write_text(f"# Title\n\nbefore\n{one_start}\nold table\n{one_end}\nafter\n")
    readme_table.update(readme, _results(1, 3.0))
    text = readme.read_text()
    assert "old table" not in text and "before\n" + one_start in text and one_end + "\nafter" in text
    assert "| 3.00 |" in text
    readme_table.update(readme, _results(2, 1.0))  # a new block, added at the end
    readme_table.update(readme, _results(2, 5.0))  # and replaced in place
    text = readme.read_text()
    assert text.count(readme_table.markers(2)[0]) == 1 and "| 5.00 |" in text and "| 1.00 |" not in text
    assert "| 3.00 |" in text and text.index(one_end) < text.index(readme_table.markers(2)[0])
