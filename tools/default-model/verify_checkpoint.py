#!/usr/bin/env python3
"""Check a default-model folder written by train_model.py:

* config.json has the GPT-2 keys; model.safetensors is F32 (or F16) with exactly the tensor names and shapes of
  docs/architecture.md §3 (no prefix, no lm_head); tokenizer.json / tokenizer_config.json are present;
* the logits of train_model.GPT2 over the file equal those of the independent float64 reference
  (tools/reference/gpt2_reference.py) on a few prompts;
* prints the top-5 next tokens for "And God said, Let there be" (and whether " light" is first).

  python3 tools/default-model/verify_checkpoint.py /tmp/default-model/ckpt
"""
from __future__ import annotations

import json
import struct
import sys
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "reference"))
from bpe import ByteLevelBPE  # noqa: E402
from train_model import GPT2, read_safetensors  # noqa: E402

import gpt2_reference as ref  # noqa: E402  (tools/reference, written from docs/architecture.md §3 only)


def expected_shapes(cfg: dict) -> dict:
    d, V, P = cfg["n_embd"], cfg["vocab_size"], cfg["n_positions"]
    shapes = {"wte.weight": [V, d], "wpe.weight": [P, d], "ln_f.weight": [d], "ln_f.bias": [d]}
    for i in range(cfg["n_layer"]):
        p = f"h.{i}."
        shapes.update({
            p + "ln_1.weight": [d], p + "ln_1.bias": [d], p + "ln_2.weight": [d], p + "ln_2.bias": [d],
            p + "attn.c_attn.weight": [d, 3 * d], p + "attn.c_attn.bias": [3 * d],
            p + "attn.c_proj.weight": [d, d], p + "attn.c_proj.bias": [d],
            p + "mlp.c_fc.weight": [d, 4 * d], p + "mlp.c_fc.bias": [4 * d],
            p + "mlp.c_proj.weight": [4 * d, d], p + "mlp.c_proj.bias": [d],
        })
    return shapes


def main() -> None:
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/default-model/ckpt")
    cfg = json.loads((folder / "config.json").read_text())
    for k in ("model_type", "n_embd", "n_layer", "n_head", "n_positions", "n_ctx", "vocab_size",
              "layer_norm_epsilon", "activation_function", "bos_token_id", "eos_token_id", "architectures"):
        assert k in cfg, f"config.json lacks {k}"
    assert cfg["model_type"] == "gpt2" and cfg["activation_function"] == "gelu_new"
    assert cfg["architectures"] == ["GPT2LMHeadModel"]

    raw = (folder / "model.safetensors").read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    header.pop("__metadata__", None)
    want = expected_shapes(cfg)
    assert set(header) == set(want), f"names differ: {set(header) ^ set(want)}"
    end = 0
    for name, info in header.items():
        assert info["dtype"] in ("F32", "F16"), name
        assert info["shape"] == want[name], (name, info["shape"], want[name])
        end = max(end, info["data_offsets"][1])
    assert 8 + n + end == len(raw), "trailing bytes / size mismatch"
    for f in ("tokenizer.json", "tokenizer_config.json"):
        assert (folder / f).exists(), f
    tcfg = json.loads((folder / "tokenizer_config.json").read_text())
    enc = ByteLevelBPE.from_json(folder / "tokenizer.json")
    assert len(enc.vocab) == cfg["vocab_size"] and enc.eot_id == cfg["eos_token_id"]
    size = sum(p.stat().st_size for p in folder.iterdir() if p.is_file())
    dtypes = sorted({info["dtype"] for info in header.values()})
    print(f"layout ok: {len(header)} tensors, {end:,} bytes of {'/'.join(dtypes)} data; folder {size / 1e6:.2f} MB; "
          f"tokenizer_class {tcfg.get('tokenizer_class')}, model_max_length {tcfg.get('model_max_length')}")

    params = read_safetensors(folder / "model.safetensors")
    mcfg = {k: cfg[k] for k in ("vocab_size", "n_positions", "n_embd", "n_layer", "n_head", "layer_norm_epsilon",
                                "eos_token_id")}
    model = GPT2(mcfg).double()
    model.load_state_dict({k: v.double() for k, v in params.items()})
    model.eval()
    worst = 0.0
    for text in ["And God said, Let there be", "To be, or not to", "In the beginning",
                 "82U*N#c4t^koK%a5*S3qrfBi 82U*N#c4t^koK%a5*S3qrfBi"]:
        ids = enc.encode(text)
        with torch.no_grad():
            ours = model(torch.tensor([ids]))[0]
        hidden = ref.gpt2_hidden_states(params, cfg, ids)
        theirs = ref.unembed(params, cfg, hidden[-1])
        worst = max(worst, float((ours - theirs).abs().max()))
    print(f"logits vs tools/reference/gpt2_reference.py (float64): max |diff| = {worst:.3e}")
    assert worst < 1e-9, worst

    ids = enc.encode("And God said, Let there be")
    with torch.no_grad():
        probs = model(torch.tensor([ids]))[0, -1].softmax(-1)
    top = torch.topk(probs, 5)
    tops = [(enc.decode([int(i)]), round(float(v), 4)) for v, i in zip(top.values, top.indices)]
    print(f"'And God said, Let there be' -> {tops}")
    print("top-1 is ' light'" if tops[0][0] == " light" else f"top-1 is {tops[0][0]!r}, NOT ' light'")


if __name__ == "__main__":
    main()
