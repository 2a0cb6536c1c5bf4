"""``python -m bench``: the benchmark entry point (for now the core MLP-step comparison)."""

from __future__ import annotations

import sys


def main(argv=None) -> None:
    from bench import mlp_step

    mlp_step.main(sys.argv[1:] if argv is None else argv)


if __name__ == "__main__":
    main()
