#!/usr/bin/env python3
"""Write the committed test fixtures under tests/fixtures/ (deterministic).

    python3 tools/reference/make_fixtures.py           # (Debian's python3 with python3-torch)

See tools/reference/README.md for what each fixture is. Nothing here depends on the TypeScript
code; the math lives in gpt2_reference.py.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import struct
import sys
import zipfile
from collections import OrderedDict
from pathlib import Path
from typing import Dict, List

import numpy as np
import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gpt2_reference as ref  # noqa: E402
from safetensors_io import write_safetensors  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
FIX = ROOT / "tests" / "fixtures"

# The first seed >= SEED_START whose fixtures have no near-ties in any top-(k+1) is used; the
# search is deterministic, so re-running the script reproduces the same files.
SEED_START = 0
MIN_TOPK_GAP = 1e-4  # min gap between consecutive log-probs in every cell's top-(k+1)
TOPK = 5

D, L, N_HEAD, N_POS, V = 32, 3, 4, 128, 50257
EPS = 1e-5

# Init scales, chosen so that the fixtures can tell likely mistakes apart (check_fixtures.py prints
# how much each mistake moves the log-probs):
# * c_attn and c_fc are larger than GPT-2's 0.02: with 0.02 the attention is almost uniform and the
#   GELU inputs are ~0.1, where the tanh approximation and the exact erf GELU agree to ~1e-8.
# * wte std 0.3 (logit std ~1.7) gives peaked-but-not-degenerate predictions (entropy ~9 nats,
#   max probability up to ~0.4) and top-k gaps large enough to be robust in float32; with 0.1 the
#   output is within 0.2 nats of uniform and adjacent top-k log-probs are often < 1e-5 apart.
# * the projections (0.05) are scaled with wte so that every block still moves the residual stream.
STD = {
    "wte": 0.3, "wpe": 0.02, "c_attn": 0.2, "attn_proj": 0.05, "c_fc": 0.3, "mlp_proj": 0.05,
    "bias": 0.02, "ln_w": 0.1, "ln_b": 0.02,
}

# Prompts. Token ids come from GPT-2's BPE via the npm package gpt-3-encoder:
#   node -e "console.log(JSON.stringify(require('gpt-3-encoder').encode(process.argv[1])))" '<text>'
PROMPTS = [
    {
        "name": "seed",
        "text": "82U*N#c4t^koK%a5*S3qrfBi 82U*N#c4t^koK%a5*S3qrfBi",
        "input_ids": [6469, 52, 9, 45, 2, 66, 19, 83, 61, 7204, 42, 4, 64, 20, 9, 50, 18, 80, 41871,
                      23286, 9415, 52, 9, 45, 2, 66, 19, 83, 61, 7204, 42, 4, 64, 20, 9, 50, 18, 80,
                      41871, 23286],
    },
    {
        "name": "english",
        "text": "The quick brown fox jumps over the lazy dog.",
        "input_ids": [464, 2068, 7586, 21831, 18045, 625, 262, 16931, 3290, 13],
    },
    {
        "name": "single",
        "text": "<|endoftext|>",
        "input_ids": [50256],
    },
]


def sample_ids() -> List[int]:
    """64 fixed vocabulary ids whose log-probs are stored for every cell (incl. large ids)."""
    ids = set(range(16)) | {50256, 50255, 50254, 50000, 49999, 41871, 23286, 9415, 40000, 30000,
                            25000, 20000, 15496, 10000, 5000, 1000}
    rng = np.random.RandomState(1234)
    while len(ids) < 64:
        ids.add(int(rng.randint(0, V)))
    return sorted(ids)


# --------------------------------------------------------------------------------------------
# random weights
# --------------------------------------------------------------------------------------------

def make_model(gen: torch.Generator) -> "OrderedDict[str, torch.Tensor]":
    def n(shape, std):
        return torch.randn(*shape, generator=gen, dtype=torch.float32) * std

    def ln_w():
        return 1.0 + n((D,), STD["ln_w"])

    p: "OrderedDict[str, torch.Tensor]" = OrderedDict()
    p["wte.weight"] = n((V, D), STD["wte"])
    p["wpe.weight"] = n((N_POS, D), STD["wpe"])
    for i in range(L):
        pre = f"h.{i}."
        p[pre + "ln_1.weight"] = ln_w()
        p[pre + "ln_1.bias"] = n((D,), STD["ln_b"])
        p[pre + "attn.c_attn.weight"] = n((D, 3 * D), STD["c_attn"])
        p[pre + "attn.c_attn.bias"] = n((3 * D,), STD["bias"])
        p[pre + "attn.c_proj.weight"] = n((D, D), STD["attn_proj"])
        p[pre + "attn.c_proj.bias"] = n((D,), STD["bias"])
        p[pre + "ln_2.weight"] = ln_w()
        p[pre + "ln_2.bias"] = n((D,), STD["ln_b"])
        p[pre + "mlp.c_fc.weight"] = n((D, 4 * D), STD["c_fc"])
        p[pre + "mlp.c_fc.bias"] = n((4 * D,), STD["bias"])
        p[pre + "mlp.c_proj.weight"] = n((4 * D, D), STD["mlp_proj"])
        p[pre + "mlp.c_proj.bias"] = n((D,), STD["bias"])
    p["ln_f.weight"] = ln_w()
    p["ln_f.bias"] = n((D,), STD["ln_b"])
    return p


def make_translators(gen: torch.Generator, n_layers: int, d: int) -> nn.ModuleList:
    """A ModuleList of nn.Linear(d, d), as tuned-lens' TunedLens.layer_translators."""
    ml = nn.ModuleList([nn.Linear(d, d, bias=True) for _ in range(n_layers)])
    with torch.no_grad():
        for lin in ml:
            lin.weight.copy_(torch.randn(d, d, generator=gen) * (0.3 / d ** 0.5))
            lin.bias.copy_(torch.randn(d, generator=gen) * 0.1)
    return ml


def translators_of(ml: nn.ModuleList) -> List[Dict[str, torch.Tensor]]:
    return [{"weight": lin.weight.detach().clone(), "bias": lin.bias.detach().clone()} for lin in ml]


def f16_round(t: torch.Tensor) -> torch.Tensor:
    return t.to(torch.float16).to(torch.float32)


# --------------------------------------------------------------------------------------------
# file writers
# --------------------------------------------------------------------------------------------

def torch_save_bytes(obj) -> bytes:
    """torch.save to a BytesIO: the zip's folder is 'archive/'."""
    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


def write_json(path: Path, obj) -> None:
    path.write_text(json.dumps(obj, indent=2) + "\n")


def malicious_params_pt() -> bytes:
    """A torch-style zip whose data.pkl, IF UNPICKLED, would run os.system('touch ...').
    Built by hand; never unpickle it."""
    cmd = b"touch /tmp/tuned-lens-pwned"
    pkl = (b"\x80\x02"                       # PROTO 2
           + b"cos\nsystem\n"                 # GLOBAL 'os system'
           + b"q\x00"                         # BINPUT 0
           + b"X" + struct.pack("<I", len(cmd)) + cmd  # BINUNICODE
           + b"q\x01"                         # BINPUT 1
           + b"\x85"                          # TUPLE1
           + b"q\x02"                         # BINPUT 2
           + b"R"                             # REDUCE  -> os.system(cmd)
           + b"q\x03"                         # BINPUT 3
           + b".")                            # STOP
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as z:
        for name, data in (("archive/data.pkl", pkl), ("archive/data/0", b"\x00" * 16),
                           ("archive/version", b"3\n")):
            # fixed timestamp so that the file is byte-for-byte reproducible
            z.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), data)
    return buf.getvalue()


# --------------------------------------------------------------------------------------------
# expected values
# --------------------------------------------------------------------------------------------

def f32num(x):
    """Shortest decimal that reads back as the same float32 (JSON-friendly)."""
    if x is None:
        return None
    if isinstance(x, list):
        return [f32num(v) for v in x]
    return float(str(np.float32(x)))


def min_topk_gap(params, config, translators) -> float:
    """Smallest gap between consecutive log-probs in any cell's top-(k+1), both lenses."""
    params = ref.to_f64(params)
    gap = float("inf")
    for pr in PROMPTS:
        hidden = ref.gpt2_hidden_states(params, config, pr["input_ids"])
        for tr in (None, translators):
            v, _ = torch.topk(torch.log_softmax(ref.lens_logits(params, config, hidden, tr), -1), TOPK + 1, -1)
            gap = min(gap, float((v[..., :-1] - v[..., 1:]).min()))
    return gap


def expected_for(model: str, lens_name: str, seed: int, prompts, sids, translators, hidden_states, lens_logits):
    """Both lenses' expected cells on every prompt, and the smallest top-k gap among them, for any
    architecture: `hidden_states(ids)` and `lens_logits(hidden, translators)` are its reference."""
    out = {"model": model, "tuned_lens": lens_name, "seed": seed, "topk": TOPK, "prompts": []}
    min_gap = float("inf")
    for pr in prompts:
        ids = pr["input_ids"]
        hidden = hidden_states(ids)
        rows = [str(i) for i in range(hidden.shape[0] - 1)] + ["output"]
        lenses = {}
        for lname, tr in (("logit", None), ("tuned", translators)):
            s = ref.cell_statistics(lens_logits(hidden, tr), ids, TOPK, sids)
            min_gap = min(min_gap, s.pop("_min_topk_gap"))
            S = {"rows": rows, "top1_ids": s["top1_ids"], "topk_ids": s["topk_ids"]}
            for k in ("topk_logprobs", "entropy", "cross_entropy", "forward_kl", "max_probability"):
                S[k] = f32num(s[k])
            S["rank"] = s["rank"]
            S["rank_tolerance"] = s["rank_tolerance"]
            S["logprobs_sample"] = {"ids": s["logprobs_sample"]["ids"],
                                    "values": f32num(s["logprobs_sample"]["values"])}
            lenses[lname] = S
        out["prompts"].append({
            "name": pr["name"],
            "text": pr["text"],
            "input_ids": ids,
            "residual_stream": {"shape": list(hidden.shape),
                                "data": f32num(hidden.reshape(-1).tolist())},
            "lenses": lenses,
        })
    return out, min_gap


def gpt2_expected(params, config, translators, name: str, lens_name: str, seed: int):
    params = ref.to_f64(params)
    return expected_for(name, lens_name, seed, PROMPTS, sample_ids(), translators,
                        lambda ids: ref.gpt2_hidden_states(params, config, ids),
                        lambda hidden, tr: ref.lens_logits(params, config, hidden, tr))


def build(seed: int):
    gen = torch.Generator().manual_seed(seed)
    model = make_model(gen)
    lens = make_translators(gen, L, D)
    wrong_d = make_translators(gen, L, 16)
    wrong_l = make_translators(gen, 5, D)
    model16 = OrderedDict((k, f16_round(v)) for k, v in model.items())
    tr = translators_of(lens)
    tr16 = [{k: f16_round(v) for k, v in t.items()} for t in tr]
    gap = min(min_topk_gap(model, CONFIG, tr), min_topk_gap(model16, CONFIG, tr16))
    if gap < MIN_TOPK_GAP:
        return None, gap
    exp32, g32 = gpt2_expected(model, CONFIG, tr, "tiny-gpt2", "current", seed)
    exp16, g16 = gpt2_expected(model16, CONFIG, tr16, "tiny-gpt2-f16", "current-half", seed)
    assert min(g32, g16) == gap
    return (model, lens, wrong_d, wrong_l, exp32, exp16), gap


CONFIG = OrderedDict([
    ("_name_or_path", "tiny-gpt2"),
    ("activation_function", "gelu_new"),
    ("architectures", ["GPT2LMHeadModel"]),
    ("attn_pdrop", 0.1),
    ("bos_token_id", 50256),
    ("embd_pdrop", 0.1),
    ("eos_token_id", 50256),
    ("initializer_range", 0.02),
    ("layer_norm_epsilon", EPS),
    ("model_type", "gpt2"),
    ("n_ctx", N_POS),
    ("n_embd", D),
    ("n_head", N_HEAD),
    ("n_inner", None),
    ("n_layer", L),
    ("n_positions", N_POS),
    ("reorder_and_upcast_attn", False),
    ("resid_pdrop", 0.1),
    ("scale_attn_by_inverse_layer_idx", False),
    ("scale_attn_weights", True),
    ("summary_activation", None),
    ("summary_first_dropout", 0.1),
    ("summary_proj_to_labels", True),
    ("summary_type", "cls_index"),
    ("summary_use_proj", True),
    ("torch_dtype", "float32"),
    ("transformers_version", "4.30.2"),
    ("use_cache", True),
    ("vocab_size", V),
])


class LegacyTunedLens(nn.Module):
    """State-dict shape of the early-2023 tuned-lens TunedLens (reuse_unembedding=True)."""

    def __init__(self, d: int, n_layers: int, vocab: int, word: str = "adapter", with_unembedding=True):
        super().__init__()
        self.layer_norm = nn.LayerNorm(d)
        if with_unembedding:
            self.unembedding = nn.Linear(d, vocab, bias=False)
        setattr(self, f"input_{word}", nn.Linear(d, d))
        setattr(self, f"layer_{word}s", nn.ModuleList([nn.Linear(d, d) for _ in range(n_layers - 1)]))


def make_legacy(model, lens: nn.ModuleList, word: str, with_unembedding: bool) -> nn.Module:
    m = LegacyTunedLens(D, L, V, word, with_unembedding)
    with torch.no_grad():
        m.layer_norm.weight.copy_(model["ln_f.weight"])
        m.layer_norm.bias.copy_(model["ln_f.bias"])
        if with_unembedding:
            m.unembedding.weight.copy_(model["wte.weight"])
        getattr(m, f"input_{word}").load_state_dict(lens[0].state_dict())
        for i in range(L - 1):
            getattr(m, f"layer_{word}s")[i].load_state_dict(lens[i + 1].state_dict())
    return m


def main() -> None:
    seed = SEED_START
    while True:
        built, gap = build(seed)
        print(f"seed {seed}: min top-{TOPK + 1} log-prob gap {gap:.3g}", flush=True)
        if built is not None:
            break
        seed += 1
    model, lens, wrong_d, wrong_l, exp32, exp16 = built

    # ---- models
    m32 = FIX / "tiny-gpt2"
    m16 = FIX / "tiny-gpt2-f16"
    for d in (m32, m16):
        d.mkdir(parents=True, exist_ok=True)
    write_json(m32 / "config.json", CONFIG)
    write_safetensors(m32 / "model.safetensors", model, metadata={"format": "pt"})
    cfg16 = OrderedDict(CONFIG)
    cfg16["_name_or_path"] = "tiny-gpt2-f16"
    cfg16["torch_dtype"] = "float16"
    write_json(m16 / "config.json", cfg16)
    t16 = OrderedDict(("transformer." + k, v.to(torch.float16)) for k, v in model.items())
    t16["lm_head.weight"] = model["wte.weight"].to(torch.float16).clone()
    write_safetensors(m16 / "model.safetensors", t16, metadata={"format": "pt"})

    # ---- lenses
    lroot = FIX / "lenses"
    if lroot.exists():
        shutil.rmtree(lroot)
    cur_cfg = OrderedDict([
        ("base_model_name_or_path", "tiny-gpt2"),
        ("d_model", D),
        ("num_hidden_layers", L),
        ("bias", True),
        ("base_model_revision", None),
        ("unemebd_hash", "3f9c2a7d5be1e0aa4c6d8b10f2e97c55d1a0b3c4e5f60718293a4b5c6d7e8f90"),
        ("lens_type", "linear_tuned_lens"),
    ])

    def lens_dir(name):
        d = lroot / name
        d.mkdir(parents=True)
        return d

    # current/: torch.save to a BytesIO -> zip folder "archive/"
    d = lens_dir("current")
    write_json(d / "config.json", cur_cfg)
    current_bytes = torch_save_bytes(lens.state_dict())
    (d / "params.pt").write_bytes(current_bytes)

    # current-safetensors/
    d = lens_dir("current-safetensors")
    write_json(d / "config.json", cur_cfg)
    write_safetensors(d / "params.safetensors", {k: v.detach() for k, v in lens.state_dict().items()})

    # current-half/: torch.save to the path -> zip folder "params/"
    d = lens_dir("current-half")
    write_json(d / "config.json", cur_cfg)
    import copy
    torch.save(copy.deepcopy(lens).half().state_dict(), str(d / "params.pt"))

    legacy_cfg = OrderedDict([
        ("bias", True), ("extra_layers", 0), ("include_input", True), ("reuse_unembedding", True),
        ("d_model", D), ("num_layers", L), ("vocab_size", V), ("orthogonal", False),
        ("include_final", False), ("rank", None), ("identity_init", True), ("sublayers", False),
    ])
    # legacy/: path save -> "params/"; carries layer_norm.* and unembedding.weight
    d = lens_dir("legacy")
    write_json(d / "config.json", legacy_cfg)
    torch.save(make_legacy(model, lens, "adapter", True).state_dict(), str(d / "params.pt"))
    # legacy-probe/: BytesIO -> "archive/"; carries layer_norm.* but no unembedding.weight (size)
    d = lens_dir("legacy-probe")
    write_json(d / "config.json", legacy_cfg)
    (d / "params.pt").write_bytes(torch_save_bytes(make_legacy(model, lens, "probe", False).state_dict()))

    # wrong-dmodel/: path save -> "params/"
    d = lens_dir("wrong-dmodel")
    c = OrderedDict(cur_cfg)
    c["d_model"] = 16
    write_json(d / "config.json", c)
    torch.save(wrong_d.state_dict(), str(d / "params.pt"))

    # wrong-layers/: BytesIO -> "archive/"
    d = lens_dir("wrong-layers")
    c = OrderedDict(cur_cfg)
    c["num_hidden_layers"] = 5
    write_json(d / "config.json", c)
    (d / "params.pt").write_bytes(torch_save_bytes(wrong_l.state_dict()))

    # truncated/: current/params.pt cut to 60%
    d = lens_dir("truncated")
    write_json(d / "config.json", cur_cfg)
    (d / "params.pt").write_bytes(current_bytes[: int(len(current_bytes) * 0.6)])

    # malicious/
    d = lens_dir("malicious")
    write_json(d / "config.json", cur_cfg)
    (d / "params.pt").write_bytes(malicious_params_pt())

    # ---- expected values
    ed = FIX / "expected"
    ed.mkdir(parents=True, exist_ok=True)
    for name, obj in (("tiny-gpt2.json", exp32), ("tiny-gpt2-f16.json", exp16)):
        (ed / name).write_text(json.dumps(obj, separators=(",", ":")) + "\n")
    print(f"wrote fixtures with seed {seed} under {FIX}")


if __name__ == "__main__":
    main()
