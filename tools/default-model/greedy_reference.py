"""Greedy next-token predictions of the shipped default model, computed by the independent PyTorch
reference (tools/reference/gpt2_reference.py, float64) with the Python BPE encoder — the values the
model card quotes and tests/unit/default-model.test.ts checks our library against.

    /usr/bin/python3 tools/default-model/greedy_reference.py public/models/pd-gpt2-6l /tmp/default-model/heldout.txt
"""
import hashlib
import json
import sys
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "reference"))
sys.path.insert(0, str(HERE))
from bpe import ByteLevelBPE  # noqa: E402
from gpt2_reference import gpt2_hidden_states, unembed  # noqa: E402
from safetensors_io import read_safetensors  # noqa: E402

OUT = HERE.parents[1] / "tests/fixtures/default-model/greedy.json"


def main(model_dir: str, heldout: str) -> None:
    folder = Path(model_dir)
    config = json.loads((folder / "config.json").read_text())
    params, _ = read_safetensors(folder / "model.safetensors", torch.float64)
    enc = ByteLevelBPE.from_json(folder / "tokenizer.json")
    lines = [line.strip() for line in Path(heldout).read_text().splitlines() if len(line.strip()) > 30]
    results = []
    for line in lines:
        words = line.split(" ")
        prompt = " ".join(words[: max(3, len(words) * 2 // 3)])
        ids = enc.encode(prompt)
        if not 4 <= len(ids) <= 64:
            continue
        logits = unembed(params, config, gpt2_hidden_states(params, config, ids)[-1, -1])
        p = torch.softmax(logits, -1)
        top = torch.topk(p, 2)
        if top.values[0] - top.values[1] < 0.1:  # only clear-cut predictions make a stable test
            continue
        results.append({"prompt": prompt, "input_ids": ids, "next_id": int(top.indices[0]),
                        "next_token": enc.decode([int(top.indices[0])]), "probability": float(top.values[0]),
                        "runner_up_probability": float(top.values[1])})
        if len(results) == 8:
            break
    sha = hashlib.sha256((folder / "model.safetensors").read_bytes()).hexdigest()
    OUT.write_text(json.dumps({"model": folder.name, "model_sha256": sha, "predictions": results}, indent=2, ensure_ascii=False) + "\n")
    for r in results:
        print(f"{r['prompt']!r} -> {r['next_token']!r} ({r['probability']:.3f})")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
