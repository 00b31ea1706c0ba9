"""One safetensors reader for the references, the fixture checks and the PyTorch benches.

Every tensor is widened to the dtype the caller computes in (F16 files are shipped half-precision
copies); the header comes back too, for the checks that look at it.
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
