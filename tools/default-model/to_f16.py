"""Rewrites a model.safetensors with every F32 tensor stored as F16, halving the shipped size.

    python3 tools/default-model/to_f16.py <in.safetensors> <out.safetensors>
"""
import json
import struct
import sys

import numpy as np


def main(src: str, dst: str) -> None:
    with open(src, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    meta = header.pop("__metadata__", None)
    out_header, chunks, offset = {}, [], 0
    for name in sorted(header):
        entry = header[name]
        begin, end = entry["data_offsets"]
        array = np.frombuffer(data[begin:end], dtype=np.float32).astype(np.float16)
        raw = array.tobytes()
        out_header[name] = {"dtype": "F16", "shape": entry["shape"], "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    if meta is not None:
        out_header = {"__metadata__": meta, **out_header}
    text = json.dumps(out_header, separators=(",", ":"))
    text += " " * ((8 - (8 + len(text)) % 8) % 8)
    with open(dst, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text.encode())
        for raw in chunks:
            f.write(raw)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
