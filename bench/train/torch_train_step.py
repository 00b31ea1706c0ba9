"""PyTorch doing one tuned-lens training step, for bench/train/run.ts (run with /usr/bin/python3).

The same step as the ONNX train-step graph: N tokens, L translators h + h @ A.T + b, ln_f, the tied
unembedding, p from the output row (no grad), per-layer mean KL(p || q), gradients of every
translator by autograd, float32 on the CPU. Two ways:

  per-layer  as tuned-lens's train loop does it: one layer at a time, loss.backward() each
  batched    all L layers in one [L, N, V] forward and one backward

Prints a JSON list of rows (one per variant) on stdout; each variant runs in its own process so
that its peak memory (ru_maxrss) is its own.
"""

import argparse
import json
import math
import resource
import subprocess
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools/reference"))
from safetensors_io import read_safetensors  # noqa: E402


def head(model):
    if model == "tiny":
        t, _ = read_safetensors(ROOT / "tests/fixtures/tiny-gpt2/model.safetensors")
        return t["wte.weight"], t["ln_f.weight"], t["ln_f.bias"], 3, "tiny-gpt2"
    g = torch.Generator().manual_seed(0)
    wte = torch.randn(50257, 768, generator=g) * 0.02
    return wte, 1 + 0.02 * torch.randn(768, generator=g), 0.02 * torch.randn(768, generator=g), 12, "random GPT-2 small"


def run_variant(args):
    torch.set_num_threads(args.threads)
    wte, ln_w, ln_b, L, name = head(args.model)
    V, d = wte.shape
    N = args.tokens
    g = torch.Generator().manual_seed(1)
    residual = torch.randn(L, N, d, generator=g)
    output = torch.randn(N, d, generator=g)
    weight = (0.01 * torch.randn(L, d, d, generator=g)).requires_grad_(True)
    bias = (0.01 * torch.randn(L, d, generator=g)).requires_grad_(True)
    ln = lambda x: torch.nn.functional.layer_norm(x, (d,), ln_w, ln_b, 1e-5)

    def step():
        weight.grad = None
        bias.grad = None
        with torch.no_grad():
            logp = torch.log_softmax(ln(output) @ wte.T, dim=-1)  # [N, V]
            p = logp.exp()
        if args.variant == "per-layer":
            for l in range(L):
                h = residual[l]
                logq = torch.log_softmax(ln(h + h @ weight[l].T + bias[l]) @ wte.T, dim=-1)
                loss = (p * (logp - logq)).sum(-1).mean()
                loss.backward()
        else:
            x = residual + torch.matmul(residual, weight.transpose(1, 2)) + bias[:, None, :]
            logq = torch.log_softmax(ln(x) @ wte.T, dim=-1)  # [L, N, V]
            loss = (p * (logp - logq)).sum(-1).mean(-1)  # [L]
            loss.sum().backward()
        return float(weight.grad.abs().sum())

    warmup, times = [], []
    for i in range(args.warmup + args.runs):
        t = time.perf_counter()
        step()
        ms = (time.perf_counter() - t) * 1000
        (warmup if i < args.warmup else times).append(ms)
    times.sort()
    step_ms = times[len(times) // 2]
    flops = (2 * L + 2) * 2 * N * d * V
    return {
        "runtime": f"PyTorch {torch.__version__} ({args.threads} threads)",
        "model": name, "L": L, "d": d, "V": V, "N": N,
        "variant": f"autograd, {'one layer at a time (as tuned-lens)' if args.variant == 'per-layer' else 'all layers batched'}"
                   + (f"; {args.runs} run, no warm-up" if args.warmup == 0 else ""),
        "stepMs": step_ms, "stepMinMs": times[0], "stepMaxMs": times[-1], "warmupMs": warmup,
        "tokensPerSecond": N / (step_ms / 1000),
        "gflops": flops / 1e9 / (step_ms / 1000),
        "peakMiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", choices=["tiny", "gpt2"], default="tiny")
    parser.add_argument("--tokens", type=int, default=512)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--variant", choices=["per-layer", "batched"])
    parser.add_argument("--variants", default="per-layer,batched")
    args = parser.parse_args()
    if args.variant:
        print(json.dumps(run_variant(args)))
        return
    rows = []
    for variant in args.variants.split(","):
        out = subprocess.run([sys.executable, __file__, "--model", args.model, "--tokens", str(args.tokens), "--runs", str(args.runs),
                              "--warmup", str(args.warmup), "--threads", str(args.threads), "--variant", variant],
                             check=True, capture_output=True, text=True)
        row = json.loads(out.stdout)
        print(f"torch {row['model']} {variant}: {row['stepMs']:.0f} ms ({row['tokensPerSecond']:.0f} tok/s), peak {row['peakMiB']:.0f} MiB", file=sys.stderr)
        rows.append(row)
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
