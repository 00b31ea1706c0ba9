"""Independent PyTorch reference for GPT-2, the logit lens and the tuned lens.

Written from docs/architecture.md §3 only (not from the TypeScript code), in plain torch,
computing in float64. Everything here is a plain function over a dict of tensors named like a
Hugging Face GPT-2 checkpoint without the ``transformer.`` prefix (``wte.weight``, ``h.0.ln_1.weight``,
...).

Conventions
-----------
* Conv1D weights are stored [in, out]: y = x @ W + b.
* nn.Linear translators are stored [out, in]: A h = h @ A.T.
* Residual stream ``hidden[i]`` (shape [L+1, T, d]): 0 = wte + wpe, i = output of block i-1,
  L = after the last block, *not* passed through ln_f.
* Lens rows 0..L-1 decode ``hidden[i]`` (through translator i for the tuned lens); the row called
  "output" is ln_f(hidden[L]) @ wte.T for every lens.
"""

from __future__ import annotations

import math
from typing import Dict, List, Optional, Sequence

import torch

Tensor = torch.Tensor
DT = torch.float64


# --------------------------------------------------------------------------------------------
# GPT-2
# --------------------------------------------------------------------------------------------

def layer_norm(x: Tensor, weight: Tensor, bias: Tensor, eps: float) -> Tensor:
    """LayerNorm over the last axis with biased variance (as torch.nn.LayerNorm)."""
    mean = x.mean(dim=-1, keepdim=True)
    var = ((x - mean) ** 2).mean(dim=-1, keepdim=True)
    return (x - mean) / torch.sqrt(var + eps) * weight + bias


def gelu_new(x: Tensor) -> Tensor:
    """GELU, tanh approximation (HF ``gelu_new``)."""
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))


def gelu_erf(x: Tensor) -> Tensor:
    """Exact GELU -- NOT what GPT-2 uses; only for checking the fixtures can tell them apart."""
    return 0.5 * x * (1.0 + torch.erf(x / math.sqrt(2.0)))


def to_f64(params: Dict[str, Tensor]) -> Dict[str, Tensor]:
    return {k: v.to(DT) for k, v in params.items()}


def attention(x: Tensor, p: Dict[str, Tensor], prefix: str, n_head: int, causal: bool = True) -> Tensor:
    """Multi-head causal self-attention. x: [T, d] (already layer-normed)."""
    T, d = x.shape
    hd = d // n_head
    qkv = x @ p[prefix + "c_attn.weight"] + p[prefix + "c_attn.bias"]  # [T, 3d]
    q, k, v = qkv[:, :d], qkv[:, d:2 * d], qkv[:, 2 * d:]
    # [n_head, T, hd]
    q = q.reshape(T, n_head, hd).transpose(0, 1)
    k = k.reshape(T, n_head, hd).transpose(0, 1)
    v = v.reshape(T, n_head, hd).transpose(0, 1)
    scores = (q @ k.transpose(1, 2)) / math.sqrt(hd)  # [n_head, T, T]
    if causal:
        mask = torch.ones(T, T, dtype=torch.bool).triu(1)  # True above the diagonal = future
        scores = scores.masked_fill(mask, float("-inf"))
    w = torch.softmax(scores, dim=-1)
    out = (w @ v).transpose(0, 1).reshape(T, d)
    return out @ p[prefix + "c_proj.weight"] + p[prefix + "c_proj.bias"]


def gpt2_hidden_states(params: Dict[str, Tensor], config: dict, input_ids: Sequence[int],
                       gelu=gelu_new, causal: bool = True, eps: Optional[float] = None,
                       after_attention: Optional[List[Tensor]] = None) -> Tensor:
    """Residual stream [L+1, T, d] in float64 (last row NOT layer-normed). A list passed as
    ``after_attention`` receives each block's a = h + attn(ln_1(h)), the stream before its MLP."""
    p = to_f64(params)
    L, n_head = config["n_layer"], config["n_head"]
    eps = config["layer_norm_epsilon"] if eps is None else eps
    T = len(input_ids)
    if T > config["n_positions"]:
        raise ValueError("prompt longer than n_positions")
    ids = torch.tensor(list(input_ids), dtype=torch.long)
    h = p["wte.weight"][ids] + p["wpe.weight"][torch.arange(T)]
    hidden = [h]
    for i in range(L):
        pre = f"h.{i}."
        a = h + attention(layer_norm(h, p[pre + "ln_1.weight"], p[pre + "ln_1.bias"], eps), p,
                          pre + "attn.", n_head, causal=causal)
        if after_attention is not None:
            after_attention.append(a)
        m = layer_norm(a, p[pre + "ln_2.weight"], p[pre + "ln_2.bias"], eps)
        m = gelu(m @ p[pre + "mlp.c_fc.weight"] + p[pre + "mlp.c_fc.bias"])
        h = a + (m @ p[pre + "mlp.c_proj.weight"] + p[pre + "mlp.c_proj.bias"])
        hidden.append(h)
    return torch.stack(hidden)


def unembed(params: Dict[str, Tensor], config: dict, h: Tensor) -> Tensor:
    """logits = ln_f(h) @ wte.T (tied head), float64."""
    p = to_f64(params)
    x = layer_norm(h.to(DT), p["ln_f.weight"], p["ln_f.bias"], config["layer_norm_epsilon"])
    return x @ p["wte.weight"].T


# --------------------------------------------------------------------------------------------
# Lenses
# --------------------------------------------------------------------------------------------

def lens_logits(params: Dict[str, Tensor], config: dict, hidden: Tensor,
                translators: Optional[List[Dict[str, Tensor]]] = None) -> Tensor:
    """Logits [L+1, T, V]: rows 0..L-1 from hidden[0..L-1] (through translator i when given:
    h + h @ A_i.T + b_i), row L = the model output ln_f(hidden[L]) @ wte.T."""
    L = hidden.shape[0] - 1
    rows = []
    for i in range(L):
        h = hidden[i].to(DT)
        if translators is not None:
            A = translators[i]["weight"].to(DT)
            b = translators[i]["bias"].to(DT)
            h = h + h @ A.T + b
        rows.append(unembed(params, config, h))
    rows.append(unembed(params, config, hidden[L]))
    return torch.stack(rows)


def cell_statistics(logits: Tensor, input_ids: Sequence[int], topk: int, sample_ids: Sequence[int],
                    tie_window: float = 1e-4) -> dict:
    """Per-cell statistics, natural log. logits: [R, T, V] with the last row = model output.

    Returns plain nested lists (float64 values; None where a position has no target)."""
    logq = torch.log_softmax(logits.to(DT), dim=-1)  # [R, T, V]
    q = logq.exp()
    logp = logq[-1]  # output row [T, V]
    p = logp.exp()
    R, T, V = logq.shape

    entropy = -(q * logq).sum(-1)  # [R, T]
    forward_kl = (p.unsqueeze(0) * (logp.unsqueeze(0) - logq)).sum(-1)
    max_prob = q.max(-1).values
    top_vals, top_ids = torch.topk(logq, topk + 1, dim=-1)  # one extra for the gap check

    ce: List[List[Optional[float]]] = []
    rank: List[List[Optional[int]]] = []
    rank_tol: List[List[Optional[int]]] = []
    for r in range(R):
        ce_r, rank_r, tol_r = [], [], []
        for t in range(T):
            if t + 1 < T:
                tgt = int(input_ids[t + 1])
                lt = logq[r, t, tgt]
                ce_r.append(float(-lt))
                rank_r.append(1 + int((logq[r, t] > lt).sum()))
                tol_r.append(int(((logq[r, t] - lt).abs() <= tie_window).sum()) - 1)
            else:
                ce_r.append(None)
                rank_r.append(None)
                tol_r.append(None)
        ce.append(ce_r)
        rank.append(rank_r)
        rank_tol.append(tol_r)

    sid = torch.tensor(list(sample_ids), dtype=torch.long)
    # minimal gap between consecutive entries of the top-(k+1): guards against near-ties
    gaps = top_vals[..., :-1] - top_vals[..., 1:]
    return {
        "top1_ids": top_ids[..., 0].tolist(),
        "topk_ids": top_ids[..., :topk].tolist(),
        "topk_logprobs": top_vals[..., :topk].tolist(),
        "entropy": entropy.tolist(),
        "cross_entropy": ce,
        "forward_kl": forward_kl.tolist(),
        "max_probability": max_prob.tolist(),
        "rank": rank,
        "rank_tolerance": rank_tol,
        "logprobs_sample": {"ids": [int(i) for i in sample_ids], "values": logq[..., sid].tolist()},
        "_min_topk_gap": float(gaps.min()),
    }


# --------------------------------------------------------------------------------------------
# A second, deliberately naive GPT-2 (python loops, numpy) for cross-checking
# --------------------------------------------------------------------------------------------

def naive_hidden_states(params: Dict[str, Tensor], config: dict, input_ids: Sequence[int]):
    """Same math as gpt2_hidden_states, written position-by-position and head-by-head in numpy."""
    import numpy as np

    P = {k: v.detach().to(torch.float64).numpy() for k, v in params.items()}
    d, L, H = config["n_embd"], config["n_layer"], config["n_head"]
    eps = config["layer_norm_epsilon"]
    hd = d // H
    T = len(input_ids)

    def ln(x, w, b):
        mu = sum(x) / len(x)
        var = sum((xi - mu) ** 2 for xi in x) / len(x)
        return np.array([(x[j] - mu) / math.sqrt(var + eps) * w[j] + b[j] for j in range(len(x))])

    def gelu(x):
        return np.array([0.5 * v * (1 + math.tanh(math.sqrt(2 / math.pi) * (v + 0.044715 * v ** 3))) for v in x])

    def affine(x, W, b):  # x [in], W [in,out]
        return np.array([sum(x[i] * W[i, o] for i in range(W.shape[0])) + b[o] for o in range(W.shape[1])])

    hs = [[P["wte.weight"][input_ids[t]] + P["wpe.weight"][t] for t in range(T)]]
    for l in range(L):
        pre = f"h.{l}."
        h = hs[-1]
        x = [ln(h[t], P[pre + "ln_1.weight"], P[pre + "ln_1.bias"]) for t in range(T)]
        qkv = [affine(x[t], P[pre + "attn.c_attn.weight"], P[pre + "attn.c_attn.bias"]) for t in range(T)]
        a = []
        for t in range(T):
            out = np.zeros(d)
            for hh in range(H):
                sl = slice(hh * hd, (hh + 1) * hd)
                q = qkv[t][0:d][sl]
                scores = [float(np.dot(q, qkv[s][d:2 * d][sl])) / math.sqrt(hd) for s in range(t + 1)]
                mx = max(scores)
                e = [math.exp(sc - mx) for sc in scores]
                z = sum(e)
                for s in range(t + 1):
                    out[sl] += e[s] / z * qkv[s][2 * d:3 * d][sl]
            a.append(h[t] + affine(out, P[pre + "attn.c_proj.weight"], P[pre + "attn.c_proj.bias"]))
        new = []
        for t in range(T):
            m = ln(a[t], P[pre + "ln_2.weight"], P[pre + "ln_2.bias"])
            m = gelu(affine(m, P[pre + "mlp.c_fc.weight"], P[pre + "mlp.c_fc.bias"]))
            new.append(a[t] + affine(m, P[pre + "mlp.c_proj.weight"], P[pre + "mlp.c_proj.bias"]))
        hs.append(new)
    return np.array(hs)
