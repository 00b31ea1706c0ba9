#!/usr/bin/env python3
"""Cross-check a default-model folder against the real Hugging Face libraries, where they are installed
(the GPU machine's image has transformers and tokenizers; this CPU machine has neither):

* `tokenizers.Tokenizer.from_file(tokenizer.json)` and `AutoTokenizer.from_pretrained(folder)` encode the
  test sentences and every held-out document (decoded from the .npy) to the ids bpe.py gives;
* `GPT2LMHeadModel.from_pretrained(folder)` gives the logits train_model.GPT2 gives (float32, |diff| < 1e-4)
  and "And God said, Let there be" -> top-5.

  python3 tools/default-model/verify_hf.py <model folder> [tokens.npy]
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bpe import ByteLevelBPE  # noqa: E402
from train_model import GPT2, SPLIT_MARK, read_safetensors  # noqa: E402

SENTENCES = [
    "And God said, Let there be",
    "To be, or not to",
    "In the beginning",
    "It's, we'll, you're, they've, I'm, he'd, don't -- 'tis THE END'S",
    "  leading spaces,   inner runs\tof\ttabs\n\n\nand newlines  ",
    "Numbers 1234567 3.14159 and caf\u00e9 na\u00efve \u00d8 \u00a35 \u65e5\u672c\u8a9e \U0001f642",
    "82U*N#c4t^koK%a5*S3qrfBi 82U*N#c4t^koK%a5*S3qrfBi",
]


def main() -> int:
    folder = Path(sys.argv[1])
    npy = Path(sys.argv[2]) if len(sys.argv) > 2 else None
    enc = ByteLevelBPE.from_json(folder / "tokenizer.json")
    texts = list(SENTENCES)
    if npy is not None and npy.exists():
        arr = np.load(npy)
        held = arr[int(np.flatnonzero(arr == SPLIT_MARK)[0]) + 1:].astype(np.int64)
        doc: list[int] = []
        for i in held.tolist():
            if i == enc.eot_id:
                texts.append(enc.decode(doc))
                doc = []
            else:
                doc.append(i)
    expected = [enc.encode(t) for t in texts]
    failures = 0

    try:
        from tokenizers import Tokenizer as HfTokenizer
        tok = HfTokenizer.from_file(str(folder / "tokenizer.json"))
        bad = sum(tok.encode(t).ids != e for t, e in zip(texts, expected))
        print(f"tokenizers.Tokenizer: {len(texts) - bad}/{len(texts)} texts encode identically")
        failures += bad
    except ImportError as e:
        print(f"(tokenizers not installed: {e})")

    try:
        from transformers import AutoTokenizer, GPT2LMHeadModel
    except ImportError as e:
        print(f"(transformers not installed: {e})")
        return 1 if failures else 0

    at = AutoTokenizer.from_pretrained(str(folder))
    bad = sum(at.encode(t, add_special_tokens=False) != e for t, e in zip(texts, expected))
    print(f"AutoTokenizer ({type(at).__name__}): {len(texts) - bad}/{len(texts)} texts encode identically")
    failures += bad

    hf = GPT2LMHeadModel.from_pretrained(str(folder)).float().eval()
    cfg = json.loads((folder / "config.json").read_text())
    ours = GPT2({k: cfg[k] for k in ("vocab_size", "n_positions", "n_embd", "n_layer", "n_head",
                                     "layer_norm_epsilon", "eos_token_id")}).eval()
    ours.load_state_dict(read_safetensors(folder / "model.safetensors"))
    worst = 0.0
    for t in SENTENCES:
        ids = torch.tensor([enc.encode(t)])
        with torch.no_grad():
            a = hf(ids).logits[0]
            b = ours(ids)[0]
        worst = max(worst, float((a - b).abs().max()))
    print(f"GPT2LMHeadModel vs train_model.GPT2 logits: max |diff| = {worst:.2e}")
    if worst > 1e-4:
        failures += 1
    ids = torch.tensor([enc.encode("And God said, Let there be")])
    with torch.no_grad():
        p = hf(ids).logits[0, -1].softmax(-1)
    top = torch.topk(p, 5)
    print("HF top-5 after 'And God said, Let there be':",
          [(enc.decode([int(i)]), round(float(v), 3)) for v, i in zip(top.values, top.indices)])
    print("verify_hf:", "OK" if failures == 0 else f"{failures} FAILURES")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
