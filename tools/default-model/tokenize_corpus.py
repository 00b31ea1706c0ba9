#!/usr/bin/env python3
"""Tokenize train.txt and heldout.txt into ONE .npy (uint16, 1-D) that train_model.py reads:

    [train stream] [65535] [held-out stream]

Each stream is its documents encoded separately, each followed by <|endoftext|> (doc EOS doc EOS ...).
65535 is never a token id (the vocabulary has 4096), so it marks the split; the file needs nothing
else to be used on a machine that has only torch and numpy.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bpe import ByteLevelBPE  # noqa: E402

HERE = Path(__file__).resolve().parent
DOC_SEPARATOR = "\n<|endoftext|>\n"
SPLIT_MARK = 65535


def encode_file(enc: ByteLevelBPE, path: Path) -> tuple[np.ndarray, int, int]:
    text = path.read_text(encoding="utf-8")
    if text.endswith("\n"):
        text = text[:-1]
    ids: list[int] = []
    docs = text.split(DOC_SEPARATOR)
    for doc in docs:
        ids.extend(enc.encode(doc))
        ids.append(enc.eot_id)
    return np.asarray(ids, dtype=np.uint16), len(docs), len(text.encode("utf-8"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tokenizer", default=str(HERE / "tokenizer" / "tokenizer.json"))
    ap.add_argument("--train", default="/tmp/default-model/train.txt")
    ap.add_argument("--heldout", default="/tmp/default-model/heldout.txt")
    ap.add_argument("--out", default="/tmp/default-model/tokens.npy")
    args = ap.parse_args()

    t0 = time.time()
    enc = ByteLevelBPE.from_json(args.tokenizer)
    assert len(enc.vocab) < SPLIT_MARK
    train, n_train_docs, train_bytes = encode_file(enc, Path(args.train))
    heldout, n_held_docs, held_bytes = encode_file(enc, Path(args.heldout))
    arr = np.concatenate([train, np.asarray([SPLIT_MARK], dtype=np.uint16), heldout])
    np.save(args.out, arr)
    sha = hashlib.sha256(Path(args.out).read_bytes()).hexdigest()
    info = {
        "file": args.out, "sha256": sha, "dtype": "uint16", "layout": "[train] [65535] [heldout]",
        "vocab_size": len(enc.vocab), "eot_id": enc.eot_id,
        "train_tokens": int(train.size), "train_documents": n_train_docs, "train_bytes": train_bytes,
        "heldout_tokens": int(heldout.size), "heldout_documents": n_held_docs, "heldout_bytes": held_bytes,
        "bytes_per_token_train": round(train_bytes / train.size, 3),
        "seconds": round(time.time() - t0, 1),
    }
    print(json.dumps(info, indent=2))


if __name__ == "__main__":
    main()
