"""``python -m bench`` and the ``autograd-bench`` command (see `bench.cli`)."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> None:
    from .cli import main as run

    sys.exit(run(argv))


if __name__ == "__main__":
    main()
