"""Independent PyTorch reference for training the tuned lens (architecture.md §3 (Training)).

Written from the design notes, not from the TypeScript: the loss and its gradients come from
torch autograd in float64, the optimiser is torch.optim.SGD itself (Nesterov, weight decay) with
torch.nn.utils.clip_grad_norm_ and a LambdaLR linear decay -- what tuned-lens's train loop uses.

    /usr/bin/python3 tools/reference/train_reference.py
        writes tests/fixtures/train/train-step.json (loss, gradients, three optimiser steps)

    /usr/bin/python3 tools/reference/train_reference.py --check-lens tests/fixtures/train/trained-lens
        torch.load()s a lens our trainer wrote (params.pt, also with weights_only=True), reads its
        params.safetensors and config.json, checks they agree, and writes what torch read to
        tests/fixtures/train/torch-load.json

The residual batch is the tiny model's residual stream (gpt2_reference.gpt2_hidden_states) for two
prompts, rounded to float32 -- the test feeds exactly these float32 values to the ONNX graph.

Loss per layer l, natural log, p = softmax(ln_f(h_L) @ wte.T), q_l = softmax(ln_f(h_l + h_l @ A_l.T
+ b_l) @ wte.T):  loss_l = mean over tokens of KL(p || q_l) = sum_v p (log p - log q_l).
The translators are trained jointly: the objective is sum_l loss_l, so A_l's gradient is
d loss_l / d A_l (each layer's loss only reaches its own translator).
"""

from __future__ import annotations

import argparse
import json
import sys
import zipfile
from collections import OrderedDict
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gpt2_reference as ref  # noqa: E402
from safetensors_io import read_safetensors  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
FIX = ROOT / "tests" / "fixtures"
OUT = FIX / "train"
DT = torch.float64

# The optimiser of the paper: lr 1.0 x (1 - momentum) = 0.1, Nesterov momentum 0.9, weight decay
# 1e-3, gradient-norm clip 1.0, linear decay to 0 over the run, no warm-up.
LR, MOMENTUM, WEIGHT_DECAY, CLIP = 0.1, 0.9, 1e-3, 1.0
SCHEDULE_STEPS = 4  # the run the LambdaLR decays over
OPT_STEPS = 3  # optimiser steps recorded (on the same batch, so momentum and decay both show)
# A second run with a small clip, so that the clipping branch is exercised whatever the norm.
SMALL_CLIP = 0.05

PROMPTS = [
    # the seed prompt and a sentence (GPT-2 BPE ids, as in make_fixtures.py)
    [6469, 52, 9, 45, 2, 66, 19, 83, 61, 7204, 42, 4, 64, 20, 9, 50, 18, 80, 41871,
     23286, 9415, 52, 9, 45, 2, 66, 19, 83, 61, 7204, 42, 4, 64, 20, 9, 50, 18, 80,
     41871, 23286],
    [464, 2068, 7586, 21831, 18045, 625, 262, 16931, 3290, 13],
]


def f32list(t: torch.Tensor):
    """Shortest decimals that read back as the same float32, as a flat list."""
    return [float(str(v)) for v in t.detach().to(torch.float32).numpy().reshape(-1)]


def f64list(t: torch.Tensor):
    """float64 values to 10 significant digits (the tests compare float32 results to ~1e-7)."""
    return [float(f"{v:.10g}") for v in t.detach().to(DT).numpy().reshape(-1)]


def layer_losses(params, config, residual, output_row, weight, bias):
    """Per-layer mean KL(p || q_l), float64. residual [L, N, d], output_row [N, d], weight [L, d, d]."""
    logp = torch.log_softmax(ref.unembed(params, config, output_row), dim=-1)  # [N, V]
    losses = []
    for l in range(residual.shape[0]):
        h = residual[l]
        x = h + h @ weight[l].T + bias[l]
        logq = torch.log_softmax(ref.unembed(params, config, x), dim=-1)  # [N, V]
        losses.append((logp.exp() * (logp - logq)).sum(-1).mean())
    return torch.stack(losses)


def linear_decay(total_steps: int):
    # get_linear_schedule_with_warmup(opt, 0, total_steps): lr x max(0, (T - step) / T)
    return lambda step: max(0.0, (total_steps - step) / max(1, total_steps))


def optimiser_run(params, config, residual, output_row, weight0, bias0, clip):
    """OPT_STEPS steps of the paper's optimiser on the same batch; float64 parameters."""
    L = weight0.shape[0]
    lens = torch.nn.ModuleList([torch.nn.Linear(weight0.shape[1], weight0.shape[1]) for _ in range(L)]).to(DT)
    with torch.no_grad():
        for l in range(L):
            lens[l].weight.copy_(weight0[l])
            lens[l].bias.copy_(bias0[l])
    opt = torch.optim.SGD(lens.parameters(), lr=LR, momentum=MOMENTUM, weight_decay=WEIGHT_DECAY, nesterov=True)
    scheduler = torch.optim.lr_scheduler.LambdaLR(opt, linear_decay(SCHEDULE_STEPS))
    steps = []
    for _ in range(OPT_STEPS):
        lr = opt.param_groups[0]["lr"]
        weight = torch.stack([m.weight for m in lens])
        bias = torch.stack([m.bias for m in lens])
        loss = layer_losses(params, config, residual, output_row, weight, bias)
        opt.zero_grad()
        loss.sum().backward()
        norm = torch.nn.utils.clip_grad_norm_(lens.parameters(), clip)
        opt.step()
        scheduler.step()
        steps.append({
            "lr": lr,
            "loss": f64list(loss),
            "grad_norm": float(norm),
            "clipped": bool(float(norm) > clip),
            "weight": f64list(torch.stack([m.weight for m in lens])),
            "bias": f64list(torch.stack([m.bias for m in lens])),
            "momentum_weight": f64list(torch.stack([opt.state[m.weight]["momentum_buffer"] for m in lens])),
            "momentum_bias": f64list(torch.stack([opt.state[m.bias]["momentum_buffer"] for m in lens])),
        })
    return steps


def make_train_step_fixture():
    tensors, _ = read_safetensors(FIX / "tiny-gpt2" / "model.safetensors")
    config = json.loads((FIX / "tiny-gpt2" / "config.json").read_text())
    L, d = config["n_layer"], config["n_embd"]
    lens_state = torch.load(FIX / "lenses" / "current" / "params.pt")
    weight0 = torch.stack([lens_state[f"{l}.weight"] for l in range(L)]).to(DT)
    bias0 = torch.stack([lens_state[f"{l}.bias"] for l in range(L)]).to(DT)

    # The residual batch: both prompts' streams side by side along the token axis, rounded to
    # float32 (what the graph receives), then used in float64.
    streams = [ref.gpt2_hidden_states(tensors, config, ids) for ids in PROMPTS]  # [L+1, T, d] each
    stream = torch.cat(streams, dim=1).to(torch.float32).to(DT)  # [L+1, N, d]
    residual, output_row = stream[:L], stream[L]
    N = residual.shape[1]

    weight = weight0.clone().requires_grad_(True)
    bias = bias0.clone().requires_grad_(True)
    loss = layer_losses(tensors, config, residual, output_row, weight, bias)
    loss.sum().backward()

    fixture = {
        "model": "tiny-gpt2",
        "lens": "lenses/current",
        "prompts": PROMPTS,
        "num_layers": L,
        "d_model": d,
        "num_tokens": N,
        "residual": {"shape": [L, N, d], "data": f32list(residual)},
        "output_residual": {"shape": [N, d], "data": f32list(output_row)},
        "loss": f64list(loss),
        "grad_weight": {"shape": [L, d, d], "data": f64list(weight.grad)},
        "grad_bias": {"shape": [L, d], "data": f64list(bias.grad)},
        "optimizer": {
            "lr": LR, "momentum": MOMENTUM, "weight_decay": WEIGHT_DECAY, "nesterov": True,
            "schedule_steps": SCHEDULE_STEPS,
            "runs": [
                {"clip": CLIP, "steps": optimiser_run(tensors, config, residual, output_row, weight0, bias0, CLIP)},
                {"clip": SMALL_CLIP, "steps": optimiser_run(tensors, config, residual, output_row, weight0, bias0, SMALL_CLIP)},
            ],
        },
    }
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / "train-step.json"
    path.write_text(json.dumps(fixture, separators=(",", ":")) + "\n")
    for run in fixture["optimizer"]["runs"]:
        norms = ", ".join(f"{s['grad_norm']:.4f}" for s in run["steps"])
        print(f"clip {run['clip']}: grad norms {norms}")
    print(f"loss per layer {[round(v, 6) for v in fixture['loss']]}; wrote {path.relative_to(ROOT)}")


def check_lens(folder: Path):
    """torch.load a lens our trainer wrote and record what torch sees."""
    config = json.loads((folder / "config.json").read_text())
    L, d = config["num_hidden_layers"], config["d_model"]
    loaded = torch.load(folder / "params.pt")
    strict = torch.load(folder / "params.pt", weights_only=True)
    safe, _ = read_safetensors(folder / "params.safetensors")
    with zipfile.ZipFile(folder / "params.pt") as z:
        names = z.namelist()
    keys = [f"{l}.{p}" for l in range(L) for p in ("weight", "bias")]
    assert isinstance(loaded, OrderedDict), type(loaded)
    assert list(loaded.keys()) == keys, list(loaded.keys())
    assert list(strict.keys()) == keys
    assert sorted(safe.keys()) == sorted(keys)
    for k in keys:
        want = [d, d] if k.endswith("weight") else [d]
        assert list(loaded[k].shape) == want, (k, loaded[k].shape)
        assert loaded[k].dtype == torch.float32 and loaded[k].is_contiguous()
        assert torch.equal(loaded[k], strict[k]) and torch.equal(loaded[k], safe[k]), k
    # The lens loads into the module tuned-lens saves: a ModuleList of nn.Linear(d, d).
    module = torch.nn.ModuleList([torch.nn.Linear(d, d) for _ in range(L)])
    module.load_state_dict(loaded)
    result = {
        "folder": str(folder.relative_to(ROOT)) if folder.is_absolute() else str(folder),
        "torch_version": torch.__version__,
        "type": type(loaded).__name__,
        "zip_entries": names,
        "config": config,
        "keys": keys,
        "tensors": {k: {"dtype": str(loaded[k].dtype), "shape": list(loaded[k].shape), "data": f32list(loaded[k])} for k in keys},
    }
    path = OUT / "torch-load.json"
    path.write_text(json.dumps(result, separators=(",", ":")) + "\n")
    print(f"torch.load read {len(keys)} tensors ({type(loaded).__name__}); weights_only, safetensors and "
          f"load_state_dict agree; wrote {path.relative_to(ROOT)}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--check-lens", type=Path, help="a lens folder written by `lens train`")
    args = parser.parse_args()
    if args.check_lens:
        check_lens(args.check_lens.resolve())
    else:
        make_train_step_fixture()


if __name__ == "__main__":
    main()
