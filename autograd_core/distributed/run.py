"""``python -m autograd_core.distributed.run --nproc 4 train.py [args...]``: start a local
data-parallel job for users who do not know MPI.

It runs ``mpirun -n 4 python train.py args...`` (with ``--oversubscribe``, so more processes
than cores is allowed, and the variables OpenMPI wants before it runs as root when the user
is root, as in containers), and exits with mpirun's status. Everything after the script
name is passed to the script. ``--dry-run`` prints the command instead.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import subprocess
import sys


def build_command(nproc: int, script: str, script_args: list, python: str = sys.executable,
                  mpirun: str = "mpirun") -> list:
    """The mpirun command line that starts ``nproc`` copies of ``script``."""
    if nproc < 1:
        raise ValueError(f"--nproc must be at least 1, got {nproc}")
    return [mpirun, "-n", str(nproc), "--oversubscribe", python, script, *script_args]


def environment(base: dict | None = None) -> dict:
    """The environment for mpirun: OpenMPI refuses to run as root without these two."""
    env = dict(os.environ if base is None else base)
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        env.setdefault("OMPI_ALLOW_RUN_AS_ROOT", "1")
        env.setdefault("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
    return env


def main(argv: list | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m autograd_core.distributed.run",
        description="Start N local processes of a training script through mpirun.")
    parser.add_argument("--nproc", "--nproc-per-node", "--nproc_per_node", type=int, default=1,
                        dest="nproc", help="number of processes (ranks) to start")
    parser.add_argument("--dry-run", action="store_true", help="print the command, run nothing")
    parser.add_argument("script", help="the training script")
    parser.add_argument("script_args", nargs=argparse.REMAINDER, help="its arguments")
    args = parser.parse_args(argv)
    command = build_command(args.nproc, args.script, args.script_args)
    if args.dry_run:
        print(shlex.join(command))
        return 0
    if shutil.which(command[0]) is None:
        print("autograd_core.distributed.run: mpirun not found; install OpenMPI "
              "(apt-get install openmpi-bin libopenmpi-dev) and mpi4py (pip install mpi4py)",
              file=sys.stderr)
        return 127
    return subprocess.call(command, env=environment())


if __name__ == "__main__":
    sys.exit(main())
