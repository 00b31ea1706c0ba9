#!/usr/bin/python3
"""The trajectory benchmark's reference: the same computation in PyTorch on this CPU.

    /usr/bin/python3 bench/trajectory/torch_reference.py [--T 16,64,256] [--runs 5] [--gemm mkldnn|blas]
                                                         [--threads 2] [--out bench/out/torch-mkldnn.json]

A random GPT-2 small (12 layers, d 768, 12 heads, V 50257, n_positions 1024; GPT-2's init), the
residual stream [L+1, T, d] (embeddings, then each block's output, last row before ln_f), then for all
13 rows: translators (tuned lens: h + h·Aᵀ + b; logit lens: none) → ln_f → unembedding →
log_softmax → entropy, cross-entropy, forward KL to the output row, max probability, rank → topk(10).
Timed like the TypeScript benchmark: one warm-up, then the median of `runs`, split into the model
(residual stream) and the head.

--gemm picks how the big matrix products run. Debian's python3-torch uses the *reference* BLAS
(libblas3, no blocking or threads, ≈ 1 GFLOP/s here), so `blas` (plain torch.matmul / F.linear) is
only practical for small T; `mkldnn` (default) runs every linear layer and the unembedding through
oneDNN (torch._C._nn.mkldnn_linear, weights converted once up front like ORT's prepacking), which is
the 'good native GEMM' comparison. Everything else is ordinary torch ops either way.
"""
import argparse
import datetime
import json
import math
import os
import platform
import statistics
import time

import torch
import torch.nn.functional as F

L, D, H, V, P = 12, 768, 12, 50257, 1024
EPS = 1e-5


def random_gpt2(seed=1234):
    g = torch.Generator().manual_seed(seed)

    def normal(*shape, std=0.02, mean=0.0):
        return torch.randn(*shape, generator=g) * std + mean

    proj = 0.02 / math.sqrt(2 * L)
    w = {'wte': normal(V, D), 'wpe': normal(P, D, std=0.01), 'ln_f.w': normal(D, mean=1.0), 'ln_f.b': normal(D)}
    for i in range(L):
        w[f'{i}.ln_1.w'] = normal(D, mean=1.0)
        w[f'{i}.ln_1.b'] = normal(D)
        w[f'{i}.c_attn.w'] = normal(D, 3 * D)  # [in, out], as GPT-2's Conv1D stores it
        w[f'{i}.c_attn.b'] = normal(3 * D)
        w[f'{i}.c_proj.w'] = normal(D, D, std=proj)
        w[f'{i}.c_proj.b'] = normal(D)
        w[f'{i}.ln_2.w'] = normal(D, mean=1.0)
        w[f'{i}.ln_2.b'] = normal(D)
        w[f'{i}.c_fc.w'] = normal(D, 4 * D)
        w[f'{i}.c_fc.b'] = normal(4 * D)
        w[f'{i}.mlp_proj.w'] = normal(4 * D, D, std=proj)
        w[f'{i}.mlp_proj.b'] = normal(D)
    lens_w = normal(L, D, D)
    lens_b = normal(L, D)
    return w, lens_w, lens_b


class Linear:
    """x·W + b for W stored [in, out]; through oneDNN or plain torch."""

    def __init__(self, weight_in_out, bias, gemm):
        self.gemm = gemm
        self.bias = bias
        if gemm == 'mkldnn':
            self.weight = weight_in_out.t().contiguous().to_mkldnn()  # [out, in]
            self.bias_mkldnn = bias.to_mkldnn() if bias is not None else None
        else:
            self.weight = weight_in_out

    def __call__(self, x):
        shape = x.shape
        x2 = x.reshape(-1, shape[-1])
        if self.gemm == 'mkldnn':
            y = torch._C._nn.mkldnn_linear(x2.to_mkldnn(), self.weight, self.bias_mkldnn).to_dense()
        else:
            y = x2 @ self.weight if self.bias is None else torch.addmm(self.bias, x2, self.weight)
        return y.reshape(*shape[:-1], y.shape[-1])


def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x.pow(3))))


class Model:
    def __init__(self, w, gemm):
        self.w = w
        self.layers = []
        for i in range(L):
            self.layers.append({
                'c_attn': Linear(w[f'{i}.c_attn.w'], w[f'{i}.c_attn.b'], gemm),
                'c_proj': Linear(w[f'{i}.c_proj.w'], w[f'{i}.c_proj.b'], gemm),
                'c_fc': Linear(w[f'{i}.c_fc.w'], w[f'{i}.c_fc.b'], gemm),
                'mlp_proj': Linear(w[f'{i}.mlp_proj.w'], w[f'{i}.mlp_proj.b'], gemm),
            })
        self.unembed = Linear(w['wte'].t(), None, gemm)  # logits = x·wteᵀ

    def residual_stream(self, ids):
        w = self.w
        T = ids.shape[0]
        h = w['wte'][ids] + w['wpe'][:T]
        rows = [h]
        mask = torch.full((T, T), float('-inf')).triu(1)
        dh = D // H
        for i, lin in enumerate(self.layers):
            x = F.layer_norm(h, (D,), w[f'{i}.ln_1.w'], w[f'{i}.ln_1.b'], EPS)
            q, k, v = lin['c_attn'](x).split(D, dim=-1)
            q = q.view(T, H, dh).transpose(0, 1)
            k = k.view(T, H, dh).transpose(0, 1)
            v = v.view(T, H, dh).transpose(0, 1)
            att = (q @ k.transpose(1, 2)) / math.sqrt(dh) + mask
            mixed = (att.softmax(-1) @ v).transpose(0, 1).reshape(T, D)
            a = h + lin['c_proj'](mixed)
            y = F.layer_norm(a, (D,), w[f'{i}.ln_2.w'], w[f'{i}.ln_2.b'], EPS)
            h = a + lin['mlp_proj'](gelu_new(lin['c_fc'](y)))
            rows.append(h)
        return torch.stack(rows)  # [L+1, T, D]

    def head(self, stream, targets, k, lens_w=None, lens_b=None):
        w = self.w
        rows, output = stream[:-1], stream[-1:]
        if lens_w is not None:
            rows = rows + torch.baddbmm(lens_b.unsqueeze(1), rows, lens_w.transpose(1, 2))  # h + h·Aᵀ + b
        h = torch.cat([rows, output])  # [R, T, D]
        R, T, _ = h.shape
        z = self.unembed(F.layer_norm(h, (D,), w['ln_f.w'], w['ln_f.b'], EPS))  # [R, T, V]
        logq = z.log_softmax(-1)
        q = logq.exp()
        entropy = -(q * logq).sum(-1)
        forward_kl = (q[-1:] * (logq[-1:] - logq)).sum(-1)
        index = targets.view(1, T, 1).expand(R, T, 1)
        cross_entropy = -logq.gather(-1, index).squeeze(-1)
        max_probability = logq.max(-1).values.exp()
        rank = (z > z.gather(-1, index)).sum(-1) + 1
        top_logprobs, top_ids = logq.topk(k, dim=-1)
        return {'entropy': entropy, 'cross_entropy': cross_entropy, 'forward_kl': forward_kl,
                'max_probability': max_probability, 'rank': rank, 'topk_ids': top_ids, 'topk_logprobs': top_logprobs}


def vm_hwm():
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith('VmHWM:'):
                return int(line.split()[1]) * 1024
    return None


def reset_hwm():
    try:
        with open('/proc/self/clear_refs', 'w') as f:
            f.write('5')
    except OSError:
        pass


def summary(values):
    return {'median': round(statistics.median(values), 2), 'min': round(min(values), 2),
            'max': round(max(values), 2), 'all': [round(v, 2) for v in values]}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--T', default='16,64,256')
    parser.add_argument('--runs', type=int, default=5)
    parser.add_argument('--gemm', choices=['mkldnn', 'blas'], default='mkldnn')
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--lens', default='tuned,logit')
    parser.add_argument('--out', default=None)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    out_path = args.out or f'bench/out/torch-{args.gemm}.json'
    log = lambda m: print(f'[torch] {m}', flush=True)
    load0 = os.getloadavg()

    t0 = time.perf_counter()
    w, lens_w, lens_b = random_gpt2()
    weights_ms = (time.perf_counter() - t0) * 1000
    t0 = time.perf_counter()
    model = Model(w, args.gemm)
    prepare_ms = (time.perf_counter() - t0) * 1000
    log(f'weights {weights_ms:.0f} ms, prepare ({args.gemm}) {prepare_ms:.0f} ms, threads {torch.get_num_threads()}')

    cases = []
    g = torch.Generator().manual_seed(42)
    with torch.inference_mode():
        for T in [int(x) for x in args.T.split(',')]:
            ids = torch.randint(0, V, (T,), generator=g)
            targets = torch.cat([ids[1:], torch.zeros(1, dtype=torch.long)])
            for lens in args.lens.split(','):
                lw, lb = (lens_w, lens_b) if lens == 'tuned' else (None, None)
                reset_hwm()

                def once():
                    cpu0 = time.process_time()
                    a = time.perf_counter()
                    stream = model.residual_stream(ids)
                    b = time.perf_counter()
                    out = model.head(stream, targets, 10, lw, lb)
                    # Like LensModel.trajectory, bring the small results out (as numpy arrays).
                    small = {k: v.numpy() for k, v in out.items()}
                    c = time.perf_counter()
                    cpu_ms.append((time.process_time() - cpu0) * 1000)
                    return (b - a) * 1000, (c - b) * 1000, (c - a) * 1000, small

                cpu_ms = []
                warm = once()
                cpu_ms.clear()
                kl_out = float(abs(warm[3]['forward_kl'][-1]).max())
                model_ms, head_ms, total_ms = [], [], []
                for _ in range(args.runs):
                    m, h, t, _ = once()
                    model_ms.append(m)
                    head_ms.append(h)
                    total_ms.append(t)
                flops_model = 2 * 12 * D * D * L * T
                flops_head = (L + 1) * 2 * D * V * T + (L * 2 * D * D * T if lens == 'tuned' else 0)
                case = {
                    'lens': lens, 'T': T, 'runs': args.runs, 'warmupMs': round(warm[2], 2),
                    'totalMs': summary(total_ms), 'modelMs': summary(model_ms), 'headMs': summary(head_ms),
                    'flops': {'model': flops_model, 'head': flops_head, 'total': flops_model + flops_head},
                    'cpuMs': summary(cpu_ms),
                    'memory': {'vmHWM': vm_hwm()},
                    'check': 'ok' if kl_out < 1e-3 else f'CHECK FAILED: output-row KL {kl_out}',
                }
                case['gflops'] = {
                    'model': round(flops_model / (case['modelMs']['median'] * 1e6), 1),
                    'head': round(flops_head / (case['headMs']['median'] * 1e6), 1),
                    'total': round((flops_model + flops_head) / (case['totalMs']['median'] * 1e6), 1),
                }
                cases.append(case)
                log(f"T={T} {lens}: total {case['totalMs']['median']:.0f} ms (model {case['modelMs']['median']:.0f}, "
                    f"head {case['headMs']['median']:.0f}), {case['gflops']['total']} GFLOP/s, CPU {case['cpuMs']['median']:.0f} ms, {case['check']}")

    result = {
        'runtime': f'pytorch {torch.__version__} ({args.gemm})',
        'threads': torch.get_num_threads(),
        'ortVersion': None,
        'date': datetime.datetime.now(datetime.timezone.utc).isoformat(),
        'config': {'dModel': D, 'numLayers': L, 'numHeads': H, 'vocabSize': V, 'nPositions': P},
        'topk': 10,
        'create': {'weightsMs': round(weights_ms, 2), 'prepareMs': round(prepare_ms, 2)},
        'cases': cases,
        'notes': [
            f'torch {torch.__version__}, {platform.python_implementation()} {platform.python_version()}, '
            f'gemm {args.gemm}, torch.set_num_threads({args.threads}), inference_mode',
            'BLAS: ' + ('oneDNN (mkldnn_linear) for every linear layer and the unembedding' if args.gemm == 'mkldnn'
                        else "Debian's libblas3 (reference BLAS) through torch.matmul/addmm"),
            'logit lens: no translator op at all (the ORT head graph multiplies by zero translators instead)',
            f'load average before {" ".join(f"{x:.2f}" for x in load0)}, after {" ".join(f"{x:.2f}" for x in os.getloadavg())}',
        ],
    }
    os.makedirs(os.path.dirname(out_path), exist_ok=True)
    with open(out_path, 'w') as f:
        json.dump(result, f, indent=2)
    log(f'wrote {out_path}')


if __name__ == '__main__':
    main()
