"""The train-step benchmark on the device machine (16 CPU cores, one H100), for bench/train/RESULTS.md.

Run there from the repository root, after `npx tsx bench/train/export-graphs.ts` here (the graphs
travel in bench/out/train-graphs/):

    python3 bench/train/device_bench.py     # writes $OUT/device-results.json

* onnxruntime (Python) 1.30.0 runs the very graphs onnxruntime-node 1.30.0 runs (same MLAS kernels),
  on 16 threads and on 2 (the size of our test machines), N = 512 tokens;
* PyTorch does the same step with autograd on the CPU (16 threads) and on the GPU, one layer at a
  time (as tuned-lens) and all layers batched;
* for the GPT-2-shaped graph, the ONNX gradients are compared with PyTorch autograd in float64 on
  the GPU for the same inputs (the fixture test covers only the tiny model).
"""

import json
import os
import platform
import statistics
import time

import numpy as np
import onnx
import onnxruntime as ort
import torch
from onnx import numpy_helper

G = "bench/out/train-graphs"
OUT = os.environ.get("OUT", "/tmp")
N = 512
rows = []


def log(*a):
    print(*a, flush=True)


def timed(fn, warmup, runs):
    w, t = [], []
    for i in range(warmup + runs):
        s = time.perf_counter()
        fn()
        ms = (time.perf_counter() - s) * 1000
        (w if i < warmup else t).append(ms)
    return statistics.median(t), min(t), max(t), w


def flops(L, d, V):
    return (2 * L + 2) * 2 * N * d * V


def load_graph(name):
    m = onnx.load(f"{G}/{name}")
    init = {i.name: numpy_helper.to_array(i) for i in m.graph.initializer if i.name in ("wte.weight", "ln_f.weight", "ln_f.bias")}
    if name.endswith("v16.onnx"):  # swap in a GPT-2-sized random unembedding
        wte = (np.random.default_rng(0).standard_normal((50257, 768), dtype=np.float32) * 0.02).astype(np.float32)
        for i, t in enumerate(m.graph.initializer):
            if t.name == "wte.weight":
                m.graph.initializer[i].CopyFrom(numpy_helper.from_array(wte, "wte.weight"))
        init["wte.weight"] = wte
    return m.SerializeToString(), init


def inputs(L, d, seed=1):
    r = np.random.default_rng(seed)
    return {
        "residual": r.standard_normal((L, N, d), dtype=np.float32),
        "output_residual": r.standard_normal((N, d), dtype=np.float32),
        "weight": (0.01 * r.standard_normal((L, d, d), dtype=np.float32)).astype(np.float32),
        "bias": (0.01 * r.standard_normal((L, d), dtype=np.float32)).astype(np.float32),
    }


def ort_rows(model, name, L, init, feeds, plans):
    d, V = init["wte.weight"].shape[1], init["wte.weight"].shape[0]
    out = None
    for threads, warmup, runs in plans:
        so = ort.SessionOptions()
        so.intra_op_num_threads = threads
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        s = ort.InferenceSession(model, so, providers=["CPUExecutionProvider"])
        med, lo, hi, w = timed(lambda: s.run(None, feeds), warmup, runs)
        out = s.run(None, feeds)
        rows.append({"runtime": f"onnxruntime {ort.__version__} CPU ({threads} threads)", "model": name, "L": L, "d": d, "V": V, "N": N,
                     "variant": "train-step graph", "stepMs": med, "stepMinMs": lo, "stepMaxMs": hi, "warmupMs": w,
                     "tokensPerSecond": N / med * 1000, "gflops": flops(L, d, V) / med / 1e6})
        log(rows[-1]["runtime"], name, f"{med:.0f} ms", f"{rows[-1]['tokensPerSecond']:.0f} tok/s", f"{rows[-1]['gflops']:.0f} GFLOP/s")
        del s
    return out


def torch_step(init, feeds, device, dtype, variant):
    wte = torch.from_numpy(init["wte.weight"]).to(device, dtype)
    lw = torch.from_numpy(init["ln_f.weight"]).to(device, dtype)
    lb = torch.from_numpy(init["ln_f.bias"]).to(device, dtype)
    res = torch.from_numpy(feeds["residual"]).to(device, dtype)
    outr = torch.from_numpy(feeds["output_residual"]).to(device, dtype)
    W = torch.from_numpy(feeds["weight"]).to(device, dtype).requires_grad_(True)
    b = torch.from_numpy(feeds["bias"]).to(device, dtype).requires_grad_(True)
    L, _, d = res.shape
    ln = lambda x: torch.nn.functional.layer_norm(x, (d,), lw, lb, 1e-5)

    def step():
        W.grad = None
        b.grad = None
        with torch.no_grad():
            logp = torch.log_softmax(ln(outr) @ wte.T, -1)
            p = logp.exp()
        losses = []
        if variant == "per-layer":
            for l in range(L):
                h = res[l]
                logq = torch.log_softmax(ln(h + h @ W[l].T + b[l]) @ wte.T, -1)
                loss = (p * (logp - logq)).sum(-1).mean()
                loss.backward()
                losses.append(loss.detach())
        else:
            x = res + torch.matmul(res, W.transpose(1, 2)) + b[:, None, :]
            logq = torch.log_softmax(ln(x) @ wte.T, -1)
            loss = (p * (logp - logq)).sum(-1).mean(-1)
            loss.sum().backward()
            losses = list(loss.detach())
        if device == "cuda":
            torch.cuda.synchronize()
        return torch.stack(losses), W.grad, b.grad

    return step


def torch_rows(name, init, feeds, plans):
    L, _, d = feeds["residual"].shape
    V = init["wte.weight"].shape[0]
    for device, threads, variant, warmup, runs in plans:
        if device == "cpu":
            torch.set_num_threads(threads)
        step = torch_step(init, feeds, device, torch.float32, variant)
        med, lo, hi, w = timed(step, warmup, runs)
        label = f"PyTorch {torch.__version__} " + (f"CPU ({threads} threads)" if device == "cpu" else torch.cuda.get_device_name())
        rows.append({"runtime": label, "model": name, "L": L, "d": d, "V": V, "N": N,
                     "variant": "autograd, " + ("one layer at a time (as tuned-lens)" if variant == "per-layer" else "all layers batched"),
                     "stepMs": med, "stepMinMs": lo, "stepMaxMs": hi, "warmupMs": w,
                     "tokensPerSecond": N / med * 1000, "gflops": flops(L, d, V) / med / 1e6})
        log(label, name, variant, f"{med:.1f} ms", f"{rows[-1]['tokensPerSecond']:.0f} tok/s")


def compare(name, ort_out, init, feeds):
    """ONNX (float32) against torch autograd in float64 on the GPU, same inputs."""
    loss, gw, gb = torch_step(init, feeds, "cuda", torch.float64, "batched")()
    ref = {"loss": loss.cpu().numpy(), "grad_weight": gw.cpu().numpy(), "grad_bias": gb.cpu().numpy()}
    report = {}
    for k, ours in zip(["loss", "grad_weight", "grad_bias"], ort_out):
        want = ref[k]
        scale = np.abs(want).max()
        diff = np.abs(ours.astype(np.float64) - want)
        ratio = diff / (1e-4 * np.abs(want) + 1e-4 * scale)
        i = np.unravel_index(np.argmax(ratio), want.shape)
        report[k] = {"max_abs_diff": float(diff.max()), "max_abs": float(scale), "worst_ratio_to_1e-4_tolerance": float(ratio.max()),
                     "worst_index": [int(v) for v in i], "worst_ours": float(ours[i]), "worst_reference": float(want[i])}
    log(name, "ONNX vs float64 autograd:", json.dumps(report))
    return report


def main():
    info = {"machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs", "torch": torch.__version__, "onnxruntime": ort.__version__,
            "gpu": torch.cuda.get_device_name() if torch.cuda.is_available() else None, "ort_providers": ort.get_available_providers(), "N": N}
    log(json.dumps(info))
    checks = {}
    for graph, name, L in [("train-step-tiny.onnx", "tiny-gpt2", 3), ("train-step-d768-v16.onnx", "random GPT-2 small", 12)]:
        model, init = load_graph(graph)
        d = init["wte.weight"].shape[1]
        feeds = inputs(L, d)
        small = name == "tiny-gpt2"
        out = ort_rows(model, name, L, init, feeds, [(16, 2, 3), (2, 2, 3) if small else (2, 1, 1)])
        checks[name] = compare(name, out, init, feeds)
        torch_rows(name, init, feeds, [("cpu", 16, "per-layer", 1, 3), ("cpu", 16, "batched", 1, 3),
                                       ("cuda", 0, "per-layer", 2, 5), ("cuda", 0, "batched", 2, 5)])
        with open(f"{OUT}/device-results.json", "w") as f:
            json.dump({**info, "rows": rows, "gradient_checks": checks}, f, indent=1)


if __name__ == "__main__":
    main()
