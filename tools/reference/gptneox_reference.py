"""Independent PyTorch reference for GPT-NeoX (Pythia) and its lens head.

Written from Hugging Face transformers' ``models/gpt_neox/modeling_gpt_neox.py`` (GPTNeoXAttention,
GPTNeoXRotaryEmbedding, rotate_half, apply_rotary_pos_emb, GPTNeoXMLP, GPTNeoXLayer, GPTNeoXModel,
GPTNeoXForCausalLM), following it step by step in plain torch -- never from our TypeScript. The
comments quote the line of transformers each step follows. Everything is computed in float64 except
the rotary cos/sin cache, which transformers builds in float32 whatever the model's dtype
(``inv_freq`` from ``torch.arange(...).float()``); we build it the same way, then use it in float64.

Weights are a dict named like the Hugging Face checkpoint *without* the ``gpt_neox.`` prefix
(``embed_in.weight``, ``layers.0.attention.query_key_value.weight``, ..., ``final_layer_norm.weight``,
``embed_out.weight``). torch.nn.Linear weights are [out, in]: y = x @ W.T + b.

Residual stream ``hidden[i]`` ([L+1, T, d]): 0 = embed_in[ids], i = output of layer i-1, L = after the
last layer *before* final_layer_norm (transformers' hidden_states, except that it applies
final_layer_norm to the last entry).
"""

from __future__ import annotations

import math
from typing import Dict, List, Optional, Sequence

import torch

from gpt2_reference import layer_norm

Tensor = torch.Tensor
DT = torch.float64


def gelu(x: Tensor) -> Tensor:
    """ACT2FN["gelu"]: the exact GELU, 0.5 x (1 + erf(x / sqrt 2))."""
    return 0.5 * x * (1.0 + torch.erf(x / math.sqrt(2.0)))


def gelu_tanh(x: Tensor) -> Tensor:
    """The tanh approximation -- NOT Pythia's; only for checking the fixtures tell them apart."""
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))


def rotary_cos_sin(rotary_ndims: int, base: float, seq_len: int):
    """GPTNeoXRotaryEmbedding.__init__ / _set_cos_sin_cache, in float32 as there:
    inv_freq = 1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.int64).float() / dim))
    t = torch.arange(seq_len).type_as(inv_freq); freqs = torch.outer(t, inv_freq)
    emb = torch.cat((freqs, freqs), dim=-1); cos, sin = emb.cos(), emb.sin()"""
    inv_freq = 1.0 / (base ** (torch.arange(0, rotary_ndims, 2, dtype=torch.int64).float() / rotary_ndims))
    t = torch.arange(seq_len, dtype=torch.int64).type_as(inv_freq)
    freqs = torch.outer(t, inv_freq)
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos(), emb.sin()


def rotate_half(x: Tensor) -> Tensor:
    """rotate_half: x1 = x[..., : d/2], x2 = x[..., d/2 :]; cat((-x2, x1))."""
    x1 = x[..., : x.shape[-1] // 2]
    x2 = x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


def apply_rotary_pos_emb(q: Tensor, k: Tensor, cos: Tensor, sin: Tensor, position_ids: Tensor):
    """apply_rotary_pos_emb: cos[position_ids], sin[position_ids]; q*cos + rotate_half(q)*sin."""
    cos = cos[position_ids].to(q.dtype)
    sin = sin[position_ids].to(q.dtype)
    return (q * cos) + (rotate_half(q) * sin), (k * cos) + (rotate_half(k) * sin)


def attention(x: Tensor, p: Dict[str, Tensor], pre: str, config: dict, rotary: bool = True,
              per_head_split: bool = True) -> Tensor:
    """GPTNeoXAttention.forward for one sequence. x: [T, d] (after input_layernorm) -> dense output [T, d].
    ``rotary=False`` and ``per_head_split=False`` are deliberate mistakes, only for check_neox_fixtures."""
    T, d = x.shape
    H = config["num_attention_heads"]
    hd = d // H
    rotary_ndims = int(hd * config["rotary_pct"])
    # qkv = self.query_key_value(hidden_states)                       [T, 3d]
    qkv = x @ p[pre + "query_key_value.weight"].T + p[pre + "query_key_value.bias"]
    if per_head_split:
        # qkv.view(... , num_attention_heads, 3 * head_size)           [T, H, 3hd]
        qkv = qkv.view(T, H, 3 * hd)
        # query = qkv[..., : head_size].permute(0, 2, 1, 3) etc.       [H, T, hd]
        query = qkv[..., :hd].permute(1, 0, 2)
        key = qkv[..., hd:2 * hd].permute(1, 0, 2)
        value = qkv[..., 2 * hd:].permute(1, 0, 2)
    else:  # GPT-2's [q | k | v] over the whole width: wrong for NeoX
        query, key, value = (qkv[:, i * d:(i + 1) * d].reshape(T, H, hd).permute(1, 0, 2) for i in range(3))
    # query_rot = query[..., : rotary_ndims]; query_pass = query[..., rotary_ndims :]  (same for key)
    query_rot, query_pass = query[..., :rotary_ndims], query[..., rotary_ndims:]
    key_rot, key_pass = key[..., :rotary_ndims], key[..., rotary_ndims:]
    if rotary:
        cos, sin = rotary_cos_sin(rotary_ndims, config["rotary_emb_base"], T)
        position_ids = torch.arange(T)
        query_rot, key_rot = apply_rotary_pos_emb(query_rot, key_rot, cos, sin, position_ids)
    # query = torch.cat((query, query_pass), dim=-1)
    query = torch.cat((query_rot, query_pass), dim=-1)
    key = torch.cat((key_rot, key_pass), dim=-1)
    # _attn: baddbmm(zeros, q, k^T, beta=1, alpha=norm_factor), norm_factor = head_size ** -0.5
    scores = torch.baddbmm(torch.zeros(H, T, T, dtype=query.dtype), query, key.transpose(1, 2),
                           beta=1.0, alpha=hd ** -0.5)
    # torch.where(causal_mask, attn_scores, finfo.min), causal_mask = tril(ones)
    causal = torch.tril(torch.ones(T, T, dtype=torch.bool))
    scores = torch.where(causal, scores, torch.tensor(torch.finfo(scores.dtype).min, dtype=scores.dtype))
    weights = torch.softmax(scores, dim=-1)
    out = weights @ value  # [H, T, hd]
    # _merge_heads: permute(0, 2, 1, 3).view(..., H * hd); self.dense(attn_output)
    out = out.permute(1, 0, 2).reshape(T, d)
    return out @ p[pre + "dense.weight"].T + p[pre + "dense.bias"]


def mlp(x: Tensor, p: Dict[str, Tensor], pre: str, act=gelu) -> Tensor:
    """GPTNeoXMLP: dense_4h_to_h(act(dense_h_to_4h(x)))."""
    h = x @ p[pre + "dense_h_to_4h.weight"].T + p[pre + "dense_h_to_4h.bias"]
    return act(h) @ p[pre + "dense_4h_to_h.weight"].T + p[pre + "dense_4h_to_h.bias"]


def gptneox_hidden_states(params: Dict[str, Tensor], config: dict, input_ids: Sequence[int], *,
                          act=gelu, rotary: bool = True, per_head_split: bool = True,
                          parallel: Optional[bool] = None, after_attention: Optional[List[Tensor]] = None) -> Tensor:
    """GPTNeoXModel.forward with output_hidden_states: the residual stream [L+1, T, d] in float64,
    last row before final_layer_norm. A list passed as ``after_attention`` receives each layer's
    h + attn(input_layernorm(h)), the stream with the attention added and not yet the MLP (with a
    parallel residual the MLP reads h, not this). The other keyword arguments exist only to measure
    likely mistakes."""
    p = {k: v.to(DT) for k, v in params.items()}
    eps = config["layer_norm_eps"]
    use_parallel = config["use_parallel_residual"] if parallel is None else parallel
    T = len(input_ids)
    if T > config["max_position_embeddings"]:
        raise ValueError("prompt longer than max_position_embeddings")
    ids = torch.tensor(list(input_ids), dtype=torch.long)
    # inputs_embeds = self.embed_in(input_ids); hidden_states = self.emb_dropout(inputs_embeds)
    h = p["embed_in.weight"][ids]
    hidden = [h]
    for i in range(config["num_hidden_layers"]):
        pre = f"layers.{i}."
        # attention_layer_outputs = self.attention(self.input_layernorm(hidden_states), ...)
        ln1 = layer_norm(h, p[pre + "input_layernorm.weight"], p[pre + "input_layernorm.bias"], eps)
        attn_output = attention(ln1, p, pre + "attention.", config, rotary=rotary, per_head_split=per_head_split)
        if after_attention is not None:
            after_attention.append(attn_output + h)
        if use_parallel:
            # x = x + attn(ln1(x)) + mlp(ln2(x)):  mlp_output + attn_output + hidden_states
            ln2 = layer_norm(h, p[pre + "post_attention_layernorm.weight"], p[pre + "post_attention_layernorm.bias"], eps)
            h = mlp(ln2, p, pre + "mlp.", act) + attn_output + h
        else:
            # attn_output = attn_output + hidden_states; mlp_output + attn_output
            a = attn_output + h
            ln2 = layer_norm(a, p[pre + "post_attention_layernorm.weight"], p[pre + "post_attention_layernorm.bias"], eps)
            h = mlp(ln2, p, pre + "mlp.", act) + a
        hidden.append(h)
    return torch.stack(hidden)


def unembed(params: Dict[str, Tensor], config: dict, h: Tensor) -> Tensor:
    """GPTNeoXForCausalLM: embed_out(final_layer_norm(h)), float64 (embed_in when tied)."""
    w = params["embed_in.weight" if config.get("tie_word_embeddings", False) else "embed_out.weight"].to(DT)
    x = layer_norm(h.to(DT), params["final_layer_norm.weight"].to(DT), params["final_layer_norm.bias"].to(DT),
                   config["layer_norm_eps"])
    return x @ w.T


def lens_logits(params: Dict[str, Tensor], config: dict, hidden: Tensor,
                translators: Optional[List[Dict[str, Tensor]]] = None) -> Tensor:
    """Logits [L+1, T, V]: rows 0..L-1 from hidden[0..L-1] (through translator i when given:
    h + h @ A_i.T + b_i), row L = the model output embed_out(final_layer_norm(hidden[L]))."""
    L = hidden.shape[0] - 1
    rows = []
    for i in range(L):
        h = hidden[i].to(DT)
        if translators is not None:
            h = h + h @ translators[i]["weight"].to(DT).T + translators[i]["bias"].to(DT)
        rows.append(unembed(params, config, h))
    rows.append(unembed(params, config, hidden[L]))
    return torch.stack(rows)
