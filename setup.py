"""Packaging layout (the metadata is in pyproject.toml).

A wheel holds one top-level package, ``autograd_core``: the checkout's sibling folders are
mounted inside it, ``nn/`` as ``autograd_core.nn``, ``optim/`` as ``autograd_core.optim`` and
``bench/`` as ``autograd_core._bench`` (the ``autograd-bench`` command). In the checkout they
stay importable as ``nn``, ``optim`` and ``bench`` (see ``autograd_core/_aliases.py``).
Subpackages are found when the wheel is built, so a new folder under ``nn/`` needs no edit here.
"""

from setuptools import find_packages, setup

MOUNTS = {"autograd_core.nn": "nn", "autograd_core.optim": "optim", "autograd_core._bench": "bench"}

packages = find_packages(include=["autograd_core", "autograd_core.*"])
for name, folder in MOUNTS.items():
    packages += [name] + [f"{name}.{sub}" for sub in find_packages(folder)]

setup(packages=packages, package_dir=dict(MOUNTS))
