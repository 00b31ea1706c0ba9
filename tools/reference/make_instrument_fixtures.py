#!/usr/bin/env python3
"""Write tests/fixtures/expected/tiny-gpt2-instruments.json and tiny-neox-instruments.json: the
reference values of the instruments (prediction depth, a followed token, change per layer,
consecutive-layer KL, layer transfer, sub-layer rows) for the committed tiny models and lenses.

    /usr/bin/python3 tools/reference/make_instrument_fixtures.py

Reads the fixtures make_fixtures.py and make_neox_fixtures.py wrote (model.safetensors, the lens's
params.pt through torch.load) and computes in float64 with gpt2_reference.py / gptneox_reference.py;
written from design.md §4 only. Kept apart from those scripts so that their fixtures stay
byte-for-byte as they are.

Definitions (natural log; q_l = softmax of lens row l, rows 0..L-1 then "output" = row L):
* prediction_depth[t]: the smallest l such that argmax q_l' at t equals argmax q_L at t for every
  l' >= l; L when only the output row has it. An integer, compared exactly.
* follow: for a fixed token y, log q_l(y) and rank_l(y) = 1 + #{v : log q_l(v) > log q_l(y)} in every
  cell (with rank_tolerance as in make_fixtures.py: other tokens within 1e-4 of y's log-prob).
* change_per_layer[l][t] = log q_l(y*_t) - log q_{l-1}(y*_t), y*_t = argmax q_L at t; null for l = 0.
* consecutive_kl[l][t] = KL(q_l || q_{l-1}) at t = sum_v q_l (log q_l - log q_{l-1}); null for l = 0. The
  later layer is the reference distribution, as the output is for forward_kl (so the output row's
  value is forward_kl of row L-1).
* top1_margin: the smallest gap between the top-1 and top-2 log-prob over all cells (why depth is exact).
* transfer[i][j] (tuned lens only): translator i applied to hidden[j], h + h A_i^T + b_i, decoded, and
  KL(q_L || q) averaged over every position of the prompt; i, j in 0..L-1. The diagonal is the
  tuned lens's own mean forward_kl.
* sublayers: rows 0, "0 · after attention", 1, …, L-1, "L-1 · after attention", output, where block i's
  "after attention" row is the stream with its attention added and not yet its MLP. The logit lens
  reads them all; the tuned lens translates the ordinary rows 0..L-1 only (its translators were
  trained there) and reads the after-attention rows with the logit lens. top1_ids, forward_kl and
  entropy per cell.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gpt2_reference as ref  # noqa: E402
import gptneox_reference as nref  # noqa: E402
from safetensors_io import read_safetensors  # noqa: E402
from make_fixtures import CONFIG, PROMPTS, f32num  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
FIX = ROOT / "tests" / "fixtures"
# Followed tokens: one the seed prompt contains (" 82" comes back in its second copy) and one it does not.
FOLLOW_IDS = [6469, 464]
# tiny-neox's: a token of the seed prompt's second copy (chosen in main) and a padding row no text produces.
NEOX_FOLLOW_IDS = [None, 440]
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


def kl(logp: torch.Tensor, logq: torch.Tensor) -> torch.Tensor:
    """KL(p || q) over the last axis, from log-probabilities."""
    return (logp.exp() * (logp - logq)).sum(-1)


def cell_summary(logq: torch.Tensor) -> dict:
    """top-1, forward KL to the last row and entropy of every cell of log-probs [R, T, V]."""
    return {"top1_ids": logq.argmax(-1).tolist(), "forward_kl": f32num(kl(logq[-1:], logq).tolist()),
            "entropy": f32num((-(logq.exp() * logq).sum(-1)).tolist())}


class Model:
    """One tiny model: its weights (float64), how to run it, and its tuned lens's translators."""

    def __init__(self, name, folder, lens_folder, config, reference, layers, strip=""):
        tensors, _ = read_safetensors(FIX / folder / "model.safetensors")
        self.params = ref.to_f64({k[len(strip):] if strip and k.startswith(strip) else k: v for k, v in tensors.items()})
        state = torch.load(str(FIX / lens_folder / "params.pt"))
        self.translators = [{"weight": state[f"{i}.weight"], "bias": state[f"{i}.bias"]} for i in range(layers)]
        self.name, self.lens_folder, self.config, self.ref, self.L = name, lens_folder, config, reference, layers

    def hidden(self, ids, after_attention=None):
        run = ref.gpt2_hidden_states if self.ref is ref else nref.gptneox_hidden_states
        return run(self.params, self.config, ids, after_attention=after_attention)

    def unembed(self, h):
        return self.ref.unembed(self.params, self.config, h)


def translate(h, tr):
    return h + h @ tr["weight"].to(torch.float64).T + tr["bias"].to(torch.float64)


def instruments(model: Model, ids, follow_ids) -> dict:
    L = model.L
    after = []
    hidden = model.hidden(ids, after)
    out_logq = torch.log_softmax(model.unembed(hidden[L]), -1)  # [T, V]
    lenses = {}
    for name, tr in (("logit", None), ("tuned", model.translators)):
        logq = torch.log_softmax(model.ref.lens_logits(model.params, model.config, hidden, tr), -1)  # [R, T, V]
        top2 = torch.topk(logq, 2, -1)
        top1 = top2.indices[..., 0]
        target = top1[-1]  # y*_t, [T]
        at_target = logq.gather(-1, target.view(1, -1, 1).expand(logq.shape[0], -1, 1)).squeeze(-1)  # [R, T]
        change = (at_target[1:] - at_target[:-1]).tolist()
        rows = []
        for i in range(L):
            rows += [hidden[i] if tr is None else translate(hidden[i], tr[i]), after[i]]
        sub_logq = torch.log_softmax(torch.stack([model.unembed(h) for h in rows] + [model.unembed(hidden[L])]), -1)
        lenses[name] = {
            "top1_ids": top1.tolist(),
            "top1_margin": f32num(float((top2.values[..., 0] - top2.values[..., 1]).min())),
            "prediction_depth": prediction_depth(top1),
            "change_per_layer": [[None] * len(ids)] + f32num(change),
            "consecutive_kl": [[None] * len(ids)] + f32num(kl(logq[1:], logq[:-1]).tolist()),
            "follow": [follow(logq, y) for y in follow_ids],
            "sublayers": cell_summary(sub_logq),
        }
    transfer = [[float(kl(out_logq, torch.log_softmax(model.unembed(translate(hidden[j], model.translators[i])), -1)).mean())
                 for j in range(L)] for i in range(L)]
    return {"lenses": lenses, "transfer": f32num(transfer)}


def main() -> None:
    L = CONFIG["n_layer"]
    with open(FIX / "tiny-neox" / "config.json") as f:
        neox_config = json.load(f)
    with open(FIX / "expected" / "tiny-neox.json") as f:
        neox_prompts = [{"name": p["name"], "input_ids": p["input_ids"]} for p in json.load(f)["prompts"]]
    models = [
        (Model("tiny-gpt2", "tiny-gpt2", "lenses/current", CONFIG, ref, L), PROMPTS, "current"),
        (Model("tiny-neox", "tiny-neox", "tiny-neox-lens", neox_config, nref, neox_config["num_hidden_layers"], "gpt_neox."),
         neox_prompts, "tiny-neox-lens"),
    ]
    for model, prompts, lens_name in models:
        follow_ids = FOLLOW_IDS if model.ref is ref else [prompts[0]["input_ids"][len(prompts[0]["input_ids"]) // 2 + 1], NEOX_FOLLOW_IDS[1]]
        out = {"model": model.name, "tuned_lens": lens_name, "follow_ids": follow_ids, "prompts": []}
        for pr in prompts:
            out["prompts"].append({"name": pr["name"], "input_ids": pr["input_ids"], **instruments(model, pr["input_ids"], follow_ids)})
        path = FIX / "expected" / f"{model.name}-instruments.json"
        path.write_text(json.dumps(out, separators=(",", ":")) + "\n")
        depths = {p["name"]: {k: v["prediction_depth"] for k, v in p["lenses"].items()} for p in out["prompts"]}
        print(f"wrote {path}\n{json.dumps(depths)}")


if __name__ == "__main__":
    main()
