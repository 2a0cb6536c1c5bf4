"""Build the API reference (HTML, from the docstrings) with pdoc into ``docs/api/``.

    python docs/build_api.py            # writes docs/api/index.html and one page per module
    python docs/build_api.py --out DIR  # somewhere else

A warning from pdoc (a module that fails to import, a broken docstring reference) is an
error: the command lists them and exits with status 1, so CI catches them. The generated
HTML is not committed (``docs/api/`` is ignored).
"""

from __future__ import annotations

import argparse
import re
import sys
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# autograd_core plays torch; nn and optim are autograd_core.nn / autograd_core.optim (in a
# checkout they are the sibling packages nn/ and optim/, documented under those names); private
# modules (a name part starting with "_") are left out
MODULES = ["autograd_core", "nn", "optim", r"!.*\._"]


def build(out: Path) -> list[str]:
    """Write the reference into ``out``; return pdoc's warnings (empty: a clean build)."""
    sys.path.insert(0, str(ROOT))
    import pdoc
    import pdoc.render

    pdoc.render.configure(docformat="restructuredtext", footer_text="autograd_core API reference",
                          search=True, show_source=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pdoc.pdoc(*MODULES, output_directory=out)
    found = [f"{w.category.__name__}: {w.message}" for w in caught if "pdoc" in (w.filename or "")]
    return [w for w in found if not KNOWN.search(w)]


# pdoc evaluates a method's annotations in its class's namespace, where Tensor's own
# int()/bool()/float() conversion methods hide the builtins: ``int | None`` on Tensor.size
# fails there (Python itself resolves it fine). The page still shows the annotation as written.
KNOWN = re.compile(r"Error parsing type annotation (int|bool|float) \| None for autograd_core\.tensor\.Tensor\.\w+: "
                   r"unsupported operand type\(s\) for \|: 'function' and 'NoneType'")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "api", help="output folder (default docs/api)")
    args = parser.parse_args(argv)
    problems = build(args.out)
    for problem in problems:
        print(f"pdoc: {problem}", file=sys.stderr)
    if problems:
        print(f"{len(problems)} pdoc warning(s): the API reference has problems (see above)", file=sys.stderr)
        return 1
    print(f"wrote {args.out / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
