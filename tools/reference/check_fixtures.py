#!/usr/bin/env python3
"""Sanity checks for the fixtures written by make_fixtures.py (reads only the files on disk).

    python3 tools/reference/check_fixtures.py

* parses both model.safetensors with a small independent reader and recomputes every number in
  tests/fixtures/expected/*.json from the files on disk;
* torch.load()s every lens params.pt except malicious/ (never loaded) and truncated/ (must fail),
  and checks that all formats carry the same translators;
* compares the batched reference GPT-2 with a naive loop-per-position-and-head version;
* reports how strongly the fixtures react to likely implementation mistakes (erf GELU, missing
  causal mask, wrong LayerNorm epsilon, transposed translator).
"""

from __future__ import annotations

import json
import math
import os
import pickletools
import sys
import zipfile
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gpt2_reference as ref  # noqa: E402
from safetensors_io import read_safetensors  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
FIX = ROOT / "tests" / "fixtures"
LENSES = FIX / "lenses"
failures = []


def check(cond, msg):
    print(("ok   " if cond else "FAIL ") + msg)
    if not cond:
        failures.append(msg)


def strip_prefix(t):
    out = {}
    for k, v in t.items():
        if k == "lm_head.weight":
            continue
        out[k[len("transformer."):] if k.startswith("transformer.") else k] = v
    return out


def current_translators(sd, L):
    return [{"weight": sd[f"{i}.weight"].float(), "bias": sd[f"{i}.bias"].float()} for i in range(L)]


def max_abs(a, b):
    a = np.array(a, dtype=np.float64)
    b = np.array(b, dtype=np.float64)
    assert a.shape == b.shape, (a.shape, b.shape)
    return float(np.abs(a - b).max()) if a.size else 0.0


def main():
    # ---------------- models
    cfg = json.loads((FIX / "tiny-gpt2" / "config.json").read_text())
    L, d = cfg["n_layer"], cfg["n_embd"]
    m32, h32 = read_safetensors(FIX / "tiny-gpt2" / "model.safetensors")
    m16raw, h16 = read_safetensors(FIX / "tiny-gpt2-f16" / "model.safetensors")
    check(set(m32) == set(strip_prefix(m16raw)), "f16 model has the same tensors (after stripping transformer.)")
    check(all(v["dtype"] == "F16" for k, v in h16.items() if k != "__metadata__"), "f16 model is all F16")
    check(all(k.startswith("transformer.") or k == "lm_head.weight" for k in m16raw if k != "__metadata__"),
          "f16 names are prefixed")
    check(torch.equal(m16raw["lm_head.weight"], m16raw["transformer.wte.weight"]), "lm_head.weight == wte (f16)")
    m16 = strip_prefix(m16raw)
    check(all(torch.equal(m32[k].half().float(), m16[k]) for k in m32), "f16 model == f16-rounded f32 model")
    check(m32["h.0.attn.c_attn.weight"].shape == (d, 3 * d) and m32["h.0.mlp.c_proj.weight"].shape == (4 * d, d),
          "Conv1D shapes [in,out]")

    # ---------------- lenses
    cur = torch.load(LENSES / "current" / "params.pt")
    check(list(cur.keys()) == [f"{i}.{w}" for i in range(L) for w in ("weight", "bias")], "current keys")
    check(hasattr(cur, "_metadata") and all(v.dtype == torch.float32 for v in cur.values()),
          "current is an OrderedDict with _metadata, float32")
    tr = current_translators(cur, L)

    st, _ = read_safetensors(LENSES / "current-safetensors" / "params.safetensors")
    check(all(torch.equal(st[k], cur[k]) for k in cur) and set(st) == set(cur), "safetensors lens == current")

    half = torch.load(LENSES / "current-half" / "params.pt")
    check(all(half[k].dtype == torch.float16 and torch.equal(half[k], cur[k].half()) for k in cur),
          "current-half == current.half()")

    for name, word in (("legacy", "adapter"), ("legacy-probe", "probe")):
        lg = torch.load(LENSES / name / "params.pt")
        ok = torch.equal(lg[f"input_{word}.weight"], cur["0.weight"]) and torch.equal(lg[f"input_{word}.bias"], cur["0.bias"])
        for i in range(L - 1):
            ok = ok and torch.equal(lg[f"layer_{word}s.{i}.weight"], cur[f"{i + 1}.weight"])
            ok = ok and torch.equal(lg[f"layer_{word}s.{i}.bias"], cur[f"{i + 1}.bias"])
        ok = ok and torch.equal(lg["layer_norm.weight"], m32["ln_f.weight"]) and torch.equal(lg["layer_norm.bias"], m32["ln_f.bias"])
        if "unembedding.weight" in lg:
            ok = ok and torch.equal(lg["unembedding.weight"], m32["wte.weight"])
        check(ok, f"{name}: same translators as current ({sorted(lg.keys())})")

    wd = torch.load(LENSES / "wrong-dmodel" / "params.pt")
    check(len(wd) == 2 * L and wd["0.weight"].shape == (16, 16) and
          json.loads((LENSES / "wrong-dmodel" / "config.json").read_text())["d_model"] == 16, "wrong-dmodel")
    wl = torch.load(LENSES / "wrong-layers" / "params.pt")
    check(len(wl) == 10 and wl["4.weight"].shape == (d, d) and
          json.loads((LENSES / "wrong-layers" / "config.json").read_text())["num_hidden_layers"] == 5, "wrong-layers")

    try:
        torch.load(LENSES / "truncated" / "params.pt")
        check(False, "truncated must not load")
    except Exception as e:  # noqa: BLE001
        check(True, f"truncated fails to load ({type(e).__name__}: {str(e)[:60]})")
    full = (LENSES / "current" / "params.pt").read_bytes()
    check((LENSES / "truncated" / "params.pt").read_bytes() == full[: int(len(full) * 0.6)], "truncated = 60% prefix of current")

    # malicious: inspect only (pickletools.genops does not execute anything)
    z = zipfile.ZipFile(LENSES / "malicious" / "params.pt")
    ops = [(op.name, arg) for op, arg, _ in pickletools.genops(z.read("archive/data.pkl"))]
    check(("GLOBAL", "os system") in ops and any(o == "REDUCE" for o, _ in ops), f"malicious pickle: {ops}")
    check(not os.path.exists("/tmp/tuned-lens-pwned"), "/tmp/tuned-lens-pwned does not exist")

    # ---------------- naive vs batched GPT-2
    for pi, ids in enumerate(([464, 2068, 7586, 21831, 18045, 625, 262, 16931, 3290, 13],)):
        a = ref.gpt2_hidden_states(m32, cfg, ids).numpy()
        b = ref.naive_hidden_states(m32, cfg, ids)
        check(np.abs(a - b).max() < 1e-12, f"naive GPT-2 == reference (max |diff| {np.abs(a - b).max():.2e})")

    # ---------------- expected JSON recomputed from the files on disk
    sens = {}
    for fname, model, lens_tr in (("tiny-gpt2.json", m32, tr),
                                  ("tiny-gpt2-f16.json", m16, current_translators(half, L))):
        exp = json.loads((FIX / "expected" / fname).read_text())
        for pr in exp["prompts"]:
            ids = pr["input_ids"]
            hid = ref.gpt2_hidden_states(model, cfg, ids)
            check(list(hid.shape) == pr["residual_stream"]["shape"], f"{fname}/{pr['name']} shape")
            dh = max_abs(hid.reshape(-1).tolist(), pr["residual_stream"]["data"])
            worst = {"residual": dh}
            for lname, t in (("logit", None), ("tuned", lens_tr)):
                S = pr["lenses"][lname]
                logits = ref.lens_logits(model, cfg, hid, t)
                logq = torch.log_softmax(logits, -1)
                q = logq.exp()
                p = q[-1]
                R, T, V = logq.shape
                ok_int = True
                for r in range(R):
                    order = torch.argsort(logq[r], dim=-1, descending=True)
                    ok_int &= order[:, 0].tolist() == S["top1_ids"][r]
                    ok_int &= order[:, :exp["topk"]].tolist() == S["topk_ids"][r]
                    for tpos in range(T):
                        if tpos + 1 < T:
                            tgt = ids[tpos + 1]
                            # rank by sorting (independent of the counting in the reference)
                            srt = torch.sort(logq[r, tpos], descending=True).values
                            rk = int(torch.searchsorted(-srt, -logq[r, tpos, tgt], right=False)) + 1
                            ok_int &= rk == S["rank"][r][tpos]
                        else:
                            ok_int &= S["rank"][r][tpos] is None and S["cross_entropy"][r][tpos] is None
                check(ok_int, f"{fname}/{pr['name']}/{lname}: top-1, top-k, rank, nulls")
                ent = [[float(-(q[r, tt] * logq[r, tt]).sum()) for tt in range(T)] for r in range(R)]
                kl = [[float((p[tt] * (p[tt].log() - logq[r, tt])).sum()) for tt in range(T)] for r in range(R)]
                ce = [[(float(-logq[r, tt, ids[tt + 1]]) if tt + 1 < T else None) for tt in range(T)] for r in range(R)]
                mp = q.max(-1).values.tolist()
                tk = torch.topk(logq, exp["topk"], -1).values.tolist()
                sid = torch.tensor(S["logprobs_sample"]["ids"])
                worst[lname] = max(
                    max_abs(ent, S["entropy"]), max_abs(kl, S["forward_kl"]), max_abs(mp, S["max_probability"]),
                    max_abs(tk, S["topk_logprobs"]), max_abs(logq[..., sid].tolist(), S["logprobs_sample"]["values"]),
                    max_abs([[c for c in row if c is not None] for row in ce],
                            [[c for c in row if c is not None] for row in S["cross_entropy"]]))
                check(all(abs(k) < 1e-12 for k in kl[-1]), f"{fname}/{pr['name']}/{lname}: KL of output row is 0")
            check(max(worst.values()) < 1e-5, f"{fname}/{pr['name']}: recomputed values match JSON "
                  f"(max |diff| {max(worst.values()):.1e})")
            if fname == "tiny-gpt2.json" and pr["name"] == "seed":
                base = torch.log_softmax(ref.lens_logits(model, cfg, hid, lens_tr), -1)
                variants = {
                    "erf GELU": ref.gpt2_hidden_states(model, cfg, ids, gelu=ref.gelu_erf),
                    "no causal mask": ref.gpt2_hidden_states(model, cfg, ids, causal=False),
                    "LN eps 1e-12": ref.gpt2_hidden_states(model, cfg, ids, eps=1e-12),
                }
                for k, hv in variants.items():
                    sens[k] = float((torch.log_softmax(ref.lens_logits(model, cfg, hv, lens_tr), -1) - base).abs().max())
                trT = [{"weight": t["weight"].T, "bias": t["bias"]} for t in lens_tr]
                sens["transposed translator"] = float((torch.log_softmax(ref.lens_logits(model, cfg, hid, trT), -1) - base).abs().max())
                sens["logit lens instead of tuned"] = float((torch.log_softmax(ref.lens_logits(model, cfg, hid, None), -1) - base).abs().max())
                sens["f16 weights instead of f32"] = float((torch.log_softmax(ref.lens_logits(
                    m16, cfg, ref.gpt2_hidden_states(m16, cfg, ids), current_translators(half, L)), -1) - base).abs().max())
    print("sensitivity (max |Δ log q| over the seed prompt, tuned lens, all rows):")
    for k, v in sens.items():
        print(f"  {k:32s} {v:.3e}")
    if failures:
        print(f"{len(failures)} check(s) FAILED")
        sys.exit(1)
    print("all checks passed")


if __name__ == "__main__":
    main()
