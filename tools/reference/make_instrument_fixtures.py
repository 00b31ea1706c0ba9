#!/usr/bin/env python3
"""Write tests/fixtures/expected/tiny-gpt2-instruments.json: the reference values of the instruments
(prediction depth, a followed token, change per layer) for the committed tiny model and lens.

    /usr/bin/python3 tools/reference/make_instrument_fixtures.py

Reads the fixtures make_fixtures.py wrote (tiny-gpt2/model.safetensors, lenses/current/params.pt
through torch.load) and computes in float64 with gpt2_reference.py; written from design.md §4 only.
Kept apart from make_fixtures.py so that those fixtures stay byte-for-byte as they are.

Definitions (natural log; q_l = softmax of lens row l, rows 0..L-1 then "output" = row L):
* prediction_depth[t]: the smallest l such that argmax q_l' at t equals argmax q_L at t for every
  l' >= l; L when only the output row has it. An integer, compared exactly.
* follow: for a fixed token y, log q_l(y) and rank_l(y) = 1 + #{v : log q_l(v) > log q_l(y)} in every
  cell (with rank_tolerance as in make_fixtures.py: other tokens within 1e-4 of y's log-prob).
* change_per_layer[l][t] = log q_l(y*_t) - log q_{l-1}(y*_t), y*_t = argmax q_L at t; null for l = 0.
* top1_margin: the smallest gap between the top-1 and top-2 log-prob over all cells (why depth is exact).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gpt2_reference as ref  # noqa: E402
from safetensors_io import read_safetensors  # noqa: E402
from make_fixtures import CONFIG, PROMPTS, f32num  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
FIX = ROOT / "tests" / "fixtures"
# Followed tokens: one the seed prompt contains (" 82" comes back in its second copy) and one it does not.
FOLLOW_IDS = [6469, 464]
TIE_WINDOW = 1e-4


def prediction_depth(top1: torch.Tensor) -> list:
    """top1: [R, T] argmax ids, last row = output."""
    R, T = top1.shape
    L = R - 1
    depth = []
    for t in range(T):
        d = L
        for layer in range(L - 1, -1, -1):
            if int(top1[layer, t]) != int(top1[L, t]):
                break
            d = layer
        depth.append(d)
    return depth


def follow(logq: torch.Tensor, token: int) -> dict:
    lq = logq[..., token]  # [R, T]
    rank = 1 + (logq > lq.unsqueeze(-1)).sum(-1)
    tol = ((logq - lq.unsqueeze(-1)).abs() <= TIE_WINDOW).sum(-1) - 1
    return {"id": token, "logprob": f32num(lq.tolist()), "rank": rank.tolist(), "rank_tolerance": tol.tolist()}


def main() -> None:
    tensors, _ = read_safetensors(FIX / "tiny-gpt2" / "model.safetensors")
    params = ref.to_f64(tensors)
    state = torch.load(str(FIX / "lenses" / "current" / "params.pt"))
    L = CONFIG["n_layer"]
    translators = [{"weight": state[f"{i}.weight"], "bias": state[f"{i}.bias"]} for i in range(L)]
    out = {"model": "tiny-gpt2", "tuned_lens": "current", "follow_ids": FOLLOW_IDS, "prompts": []}
    for pr in PROMPTS:
        ids = pr["input_ids"]
        hidden = ref.gpt2_hidden_states(params, CONFIG, ids)
        lenses = {}
        for name, tr in (("logit", None), ("tuned", translators)):
            logq = torch.log_softmax(ref.lens_logits(params, CONFIG, hidden, tr), -1)  # [R, T, V]
            top2 = torch.topk(logq, 2, -1)
            top1 = top2.indices[..., 0]
            target = top1[-1]  # y*_t, [T]
            at_target = logq.gather(-1, target.view(1, -1, 1).expand(logq.shape[0], -1, 1)).squeeze(-1)  # [R, T]
            change = (at_target[1:] - at_target[:-1]).tolist()
            lenses[name] = {
                "top1_ids": top1.tolist(),
                "top1_margin": f32num(float((top2.values[..., 0] - top2.values[..., 1]).min())),
                "prediction_depth": prediction_depth(top1),
                "change_per_layer": [[None] * len(ids)] + f32num(change),
                "follow": [follow(logq, y) for y in FOLLOW_IDS],
            }
        out["prompts"].append({"name": pr["name"], "input_ids": ids, "lenses": lenses})
    path = FIX / "expected" / "tiny-gpt2-instruments.json"
    path.write_text(json.dumps(out, separators=(",", ":")) + "\n")
    depths = {p["name"]: {k: v["prediction_depth"] for k, v in p["lenses"].items()} for p in out["prompts"]}
    print(f"wrote {path}\n{json.dumps(depths)}")


if __name__ == "__main__":
    main()
