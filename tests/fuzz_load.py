"""Mutation fuzzing of `autograd_core.load`: only `CheckpointError` may escape, and memory
stays within a small multiple of the file's size.

Run by hand (not collected by pytest; test_serialization_malformed.py runs a few seconds of
it)::

    python tests/fuzz_load.py -n 100000 --seed 0

Valid files (a state dict, a nested training checkpoint, a plain safetensors file with
PyTorch's extra dtypes, an old .agc zip) are mutated at the byte level (bit flips, chosen
bytes, truncation, insertion, deletion, a rewritten header length) and at the JSON level
(a value of the header or of the structure in the metadata replaced by a hostile one, with
the lengths fixed so the file gets past the JSON parser), then loaded under tracemalloc.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import random
import struct
import sys
import time
import tracemalloc
import zipfile
from collections import Counter, OrderedDict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import autograd_core as ag  # noqa: E402
from autograd_core.serialization import CheckpointError, load, save  # noqa: E402

MEMORY_FACTOR = 32  # peak traced bytes <= MEMORY_FACTOR * file size + MEMORY_SLACK
MEMORY_SLACK = 256 * 1024

HOSTILE = [-1, 0, 1, 3, 2**31, 2**63, 2**64 + 5, 10**30, 1e400, -1e400, 0.5, "", "F32", "BF16",
           "F8_E4M3", "U64", None, True, [], {}, [0, 0, 0], [2**40, 2**40], [0, 2**62], [-1],
           {"type": "tensor"}, {"type": "Size", "items": [1e400]}, {"type": "dict", "items": [[[], 1]]},
           "nan", "x" * 300, [[[[[[[[]]]]]]]]]


# ------------------------------------------------------------------------ seed files
def seed_files() -> list[bytes]:
    rng = np.random.default_rng(0)
    sd = OrderedDict([("fc.weight", ag.tensor(rng.standard_normal((3, 4)), dtype=ag.float32)),
                      ("fc.bias", ag.zeros(3)), ("bn.num_batches_tracked", ag.tensor(7))])
    optimizer = {"state": {0: {"step": ag.tensor(5.0), "exp_avg": ag.ones(2, dtype=ag.float16)}},
                 "param_groups": [{"lr": 1e-3, "betas": (0.9, 0.999), "params": [0]}]}
    nested = {"model": sd, "optimizer": optimizer, "epoch": 12, "loss": float("nan"), "name": "run ✓",
              "flags": ag.ones(2, dtype=ag.bool), "size": ag.Size([2, 3]), "dtype": ag.float64,
              "device": ag.device("cpu"), "arr": np.arange(3, dtype=np.uint8), "scalar": np.float64(2.5),
              (1, "k"): None, "ints": ag.arange(4, dtype=ag.int32)}
    files = []
    for obj in (sd, nested):
        buf = io.BytesIO()
        save(obj, buf)
        files.append(buf.getvalue())
    files.append(plain_safetensors({"a": ("BF16", np.arange(4, dtype="<u2")), "b": ("U8", np.arange(5, dtype="u1")),
                                    "c": ("F64", np.ones((2, 2))), "d": ("BOOL", np.array([True, False]))}))
    files.append(legacy_agc())
    return files


def plain_safetensors(entries: dict) -> bytes:
    header, offset, blobs = {}, 0, []
    for name, (dtype, array) in entries.items():
        blob = np.ascontiguousarray(array).tobytes()
        header[name] = {"dtype": dtype, "shape": list(array.shape), "data_offsets": [offset, offset + len(blob)]}
        offset += len(blob)
        blobs.append(blob)
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + b"".join(blobs)


def legacy_agc(root=None, manifest_edit=None) -> bytes:
    arrays = [("float32", np.arange(6, dtype="<f4").reshape(2, 3)), ("int64", np.arange(3, dtype="<i8"))]
    root = root or {"type": "dict", "items": [
        ["w", {"type": "tensor", "id": 0}], ["n", {"type": "ndarray", "id": 1}],
        ["s", {"type": "Size", "items": [2]}], ["f", {"type": "float", "value": "inf"}]]}
    table = [{"kind": "tensor", "dtype": d, "shape": list(a.shape), "member": f"data/{i}", "device": "cpu"}
             for i, (d, a) in enumerate(arrays)]
    manifest = {"format": "autograd_core.checkpoint", "format_version": 1, "root": root, "arrays": table}
    if manifest_edit:
        manifest_edit(manifest)
    members = [("AUTOGRAD_CORE_CHECKPOINT", b"autograd_core checkpoint\n"),
               *[(f"data/{i}", a.tobytes()) for i, (_, a) in enumerate(arrays)],
               ("manifest.json", json.dumps(manifest).encode())]
    sums = "".join(f"{hashlib.sha256(c).hexdigest()}  {n}\n" for n, c in members).encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name, content in [*members, ("SHA256SUMS", sums)]:
            zf.writestr(zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0)), content)
    return out.getvalue()


# ------------------------------------------------------------------------ mutations
def _mutate_json(value, rng: random.Random):
    """A copy of a JSON value with one node replaced by a hostile value."""
    if isinstance(value, (dict, list)) and value and rng.random() < 0.8:
        if isinstance(value, dict):
            key = rng.choice(list(value))
            if rng.random() < 0.1:
                return {k: v for k, v in value.items() if k != key}
            return {**value, key: _mutate_json(value[key], rng)}
        i = rng.randrange(len(value))
        if rng.random() < 0.1:
            return value[:i] + value[i + 1:]
        return value[:i] + [_mutate_json(value[i], rng)] + value[i + 1:]
    return rng.choice(HOSTILE)


def _split(data: bytes):
    (n,) = struct.unpack("<Q", data[:8])
    return json.loads(data[8:8 + n]), data[8 + n:]


def _join(header, rest: bytes) -> bytes:
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + rest


def _replace(manifest: dict, new) -> None:
    if isinstance(new, dict):
        manifest.clear()
        manifest.update(new)
    else:
        manifest["root"] = new


def mutate(data: bytes, rng: random.Random) -> bytes:
    is_zip = data[:2] == b"PK"
    kind = rng.randrange(9)
    if kind == 0:  # flip bits
        out = bytearray(data)
        for _ in range(rng.randint(1, 4)):
            out[rng.randrange(len(out))] ^= 1 << rng.randrange(8)
        return bytes(out)
    if kind == 1:  # chosen byte values
        out = bytearray(data)
        for _ in range(rng.randint(1, 3)):
            out[rng.randrange(len(out))] = rng.choice(b'\x00\xff{}[]",:0123456789-e\x80\x7f')
        return bytes(out)
    if kind == 2:
        return data[:rng.randrange(len(data))]
    if kind == 3:  # insert random bytes or a copy of a slice
        at = rng.randrange(len(data))
        piece = rng.randbytes(rng.randint(1, 16)) if rng.random() < 0.5 else data[at:at + rng.randint(1, 64)]
        return data[:at] + piece + data[at:]
    if kind == 4:
        at = rng.randrange(len(data))
        return data[:at] + data[at + rng.randint(1, 64):]
    if kind == 5 and not is_zip:  # the header length
        (n,) = struct.unpack("<Q", data[:8])
        new = rng.choice([0, 1, 2, n - 1, n + 1, n + 8, len(data), 2**63, 2**64 - 1, 100_000_000, rng.getrandbits(64)])
        return struct.pack("<Q", max(0, min(new, 2**64 - 1))) + data[8:]
    if kind in (6, 7) and not is_zip:
        header, rest = _split(data)
        meta = header.get("__metadata__", {})
        if kind == 7 and "autograd_core" in meta:  # the structure inside the metadata
            doc = _mutate_json(json.loads(meta["autograd_core"]), rng)
            header = {**header, "__metadata__": {**meta, "autograd_core": json.dumps(doc)}}
        else:
            header = _mutate_json(header, rng)
        return _join(header, rest)
    if kind in (6, 7, 8) and is_zip:  # a legacy manifest with recomputed sums
        return legacy_agc(manifest_edit=lambda m: _replace(m, _mutate_json(m, rng)))
    return data + rng.randbytes(rng.randint(1, 32))  # trailing bytes


# ------------------------------------------------------------------------ the loop
def run(n: int | None = None, seed: int = 0, seconds: float | None = None, memory: bool = True) -> dict:
    """Load ``n`` mutants (or as many as fit in ``seconds``); return what happened."""
    rng = random.Random(seed)
    seeds = seed_files()
    stats = {"inputs": 0, "loaded": 0, "refused": 0, "escaped": [], "over_memory": [],
             "caught_by_net": Counter(), "max_ratio": 0.0}
    if memory:
        tracemalloc.start()
    start = time.perf_counter()
    try:
        while (n is None or stats["inputs"] < n) and (seconds is None or time.perf_counter() - start < seconds):
            data = mutate(rng.choice(seeds), rng)
            if memory:
                tracemalloc.reset_peak()
                base = tracemalloc.get_traced_memory()[0]
            try:
                load(io.BytesIO(data))
                stats["loaded"] += 1
            except CheckpointError as exc:
                stats["refused"] += 1
                if exc.__cause__ is not None:
                    stats["caught_by_net"][type(exc.__cause__).__name__] += 1
            except BaseException as exc:  # noqa: BLE001  (the point: nothing else may escape)
                if isinstance(exc, KeyboardInterrupt):
                    raise
                stats["escaped"].append((type(exc).__name__, str(exc)[:200], data))
            if memory:
                peak = tracemalloc.get_traced_memory()[1] - base
                stats["max_ratio"] = max(stats["max_ratio"], peak / len(data) if data else 0.0)
                if peak > MEMORY_FACTOR * len(data) + MEMORY_SLACK:
                    stats["over_memory"].append((peak, len(data), data))
            stats["inputs"] += 1
    finally:
        if memory:
            tracemalloc.stop()
    stats["seconds"] = time.perf_counter() - start
    return stats


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=100_000, help="number of mutated files (default 100000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-memory", action="store_true", help="skip tracemalloc (faster)")
    args = parser.parse_args()
    stats = run(args.n, args.seed, memory=not args.no_memory)
    print(f"{stats['inputs']} inputs in {stats['seconds']:.0f} s: {stats['loaded']} loaded, "
          f"{stats['refused']} refused with CheckpointError, {len(stats['escaped'])} other exceptions, "
          f"{len(stats['over_memory'])} over the memory bound")
    print(f"largest peak / file size: {stats['max_ratio']:.1f} (bound {MEMORY_FACTOR} x size + {MEMORY_SLACK} B)")
    print(f"refusals that came through the parse-error net: {dict(stats['caught_by_net'])}")
    for name, message, data in stats["escaped"][:10]:
        print(f"ESCAPED {name}: {message}  (input {data[:60]!r}...)")
    for peak, size, data in stats["over_memory"][:10]:
        print(f"OVER MEMORY: peak {peak} B for {size} B  (input {data[:60]!r}...)")
    return 1 if stats["escaped"] or stats["over_memory"] else 0


if __name__ == "__main__":
    sys.exit(main())
