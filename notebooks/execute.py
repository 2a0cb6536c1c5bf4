"""Execute teaching notebooks top to bottom and store their outputs in place.

    python notebooks/execute.py                      # every notebook, full size
    python notebooks/execute.py 03_perceptron_to_mlp.ipynb --quick

Full size is what is committed (a reader sees the real plots); ``--quick`` sets
``NOTEBOOK_QUICK=1``, the small-size switch the tests use, and does not write anything back
unless ``--write`` is given.

Cells that start with ``# Claims checked`` assert what the text around them says (at either
size); when one fails, the run stops with an error that shows that cell, so the claim is named.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def execute(path: Path, quick: bool, timeout: int = 900):
    """Run ``path`` in a fresh kernel (cwd = notebooks/) and return the executed notebook."""
    import nbformat
    from nbclient import NotebookClient

    os.environ["NOTEBOOK_QUICK"] = "1" if quick else "0"
    # one BLAS thread per kernel unless told otherwise: the tests run two kernels on two cores,
    # and an oversubscribed OpenBLAS is tens of times slower on small matrices
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    # the kernel finds the library from this checkout even when it is not pip-installed
    root = str(HERE.parent)
    paths = os.environ.get("PYTHONPATH", "").split(os.pathsep)
    if root not in paths:
        os.environ["PYTHONPATH"] = os.pathsep.join([root, *filter(None, paths)])
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    return nb


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="*", help="notebook files (default: all in notebooks/)")
    parser.add_argument("--quick", action="store_true", help="small sizes (NOTEBOOK_QUICK=1)")
    parser.add_argument("--write", action="store_true", help="write outputs back even with --quick")
    args = parser.parse_args(argv)
    paths = [Path(p).resolve() if Path(p).exists() else HERE / p for p in args.notebooks]
    paths = paths or sorted(HERE.glob("[0-9][0-9]_*.ipynb"))
    import nbformat

    for path in paths:
        start = time.perf_counter()
        nb = execute(path, args.quick)
        elapsed = time.perf_counter() - start
        if not args.quick or args.write:
            nbformat.write(nb, path)
        print(f"{path.name}: {elapsed:.1f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
