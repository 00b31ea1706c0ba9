"""One safetensors reader and writer for the Python tools: the references, the fixture makers and
checks, the PyTorch benches and the default model's training.

The reader widens every tensor to the dtype the caller computes in (F16 files are shipped
half-precision copies); the header comes back too, for the checks that look at it.
"""
from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np
import torch

FILE_DTYPES = {"F32": "<f4", "F16": "<f2"}


def read_safetensors(path: Path, dtype: torch.dtype = torch.float32) -> tuple[dict, dict]:
    raw = Path(path).read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    base = 8 + n
    widen = {torch.float32: np.float32, torch.float64: np.float64}[dtype]
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        b, e = info["data_offsets"]
        a = np.frombuffer(raw[base + b:base + e], dtype=FILE_DTYPES[info["dtype"]]).reshape(info["shape"])
        out[name] = torch.from_numpy(a.astype(widen))
    return out, header


FILE_DTYPE_NAMES = {torch.float32: "F32", torch.float16: "F16"}


def write_safetensors(path: Path, tensors: dict, metadata: dict | None = None) -> None:
    """u64 LE header length, JSON header (sorted keys, padded with spaces to a multiple of 8), then
    each tensor's raw little-endian data in name order. Tensors keep their dtype (F32 or F16)."""
    header: dict = {}
    if metadata is not None:
        header["__metadata__"] = metadata
    blobs = []
    off = 0
    for name in sorted(tensors):
        t = tensors[name].contiguous()
        b = t.numpy().astype(t.numpy().dtype.newbyteorder("<"), copy=False).tobytes()
        header[name] = {"dtype": FILE_DTYPE_NAMES[t.dtype], "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    hb = json.dumps(header, sort_keys=True, separators=(",", ":")).encode("utf-8")
    hb += b" " * ((8 - len(hb) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hb)))
        f.write(hb)
        for b in blobs:
            f.write(b)
