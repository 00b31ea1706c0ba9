#!/usr/bin/env python3
"""Train the embedded default model: a small GPT-2 in plain torch, written in Hugging Face GPT-2 layout.

Math (identical to HF GPT-2, docs/architecture.md §3): learned positions, pre-LN blocks with LayerNorm
eps 1e-5, causal attention with heads split from c_attn's output as [q|k|v], GELU tanh approximation
(gelu_new), Conv1D weights stored [in, out], final ln_f, head tied to wte.

Input: ONE .npy from tokenize_corpus.py -- uint16, [train stream][65535][held-out stream]. Needs only
torch + numpy (no network); for the greedy samples it also reads tokenizer/ and bpe.py next to this
script (they are copied into the output so the folder loads like GPT-2).

Output folder: config.json, model.safetensors (F32, names without the `transformer.` prefix, no
lm_head), tokenizer.json, tokenizer_config.json, training_log.json.

  python3 train_model.py --data /tmp/default-model/tokens.npy --out /tmp/default-model/ckpt \\
      --device cpu --minutes 8
  python3 train_model.py --data tokens.npy --out out --device cuda --amp bf16 --steps 6000 --batch-size 64

Fine-tuning for induction (README.md, "Induction fine-tune"): --init-from loads an existing HF folder
(F32 or F16 weights, trained in F32) and --synthetic-share puts that fraction of each batch's rows on
repeated random sequences (synthetic_row below), the rest on the natural corpus as before.
"""
from __future__ import annotations

import argparse
import contextlib
import inspect
import json
import math
import os
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "reference"))
import safetensors_io  # noqa: E402

HERE = Path(__file__).resolve().parent
SPLIT_MARK = 65535


# --------------------------------------------------------------------------------------------
# Model
# --------------------------------------------------------------------------------------------

def gelu_new(x: torch.Tensor) -> torch.Tensor:
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


class Conv1D(nn.Module):
    """HF GPT-2 Conv1D: weight [in, out], y = x @ W + b."""

    def __init__(self, n_in: int, n_out: int):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(n_in, n_out))
        self.bias = nn.Parameter(torch.zeros(n_out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.addmm(self.bias, x.reshape(-1, x.shape[-1]), self.weight).reshape(*x.shape[:-1], -1)


class Attention(nn.Module):
    def __init__(self, d: int, n_head: int, dropout: float):
        super().__init__()
        self.c_attn = Conv1D(d, 3 * d)
        self.c_proj = Conv1D(d, d)
        self.n_head = n_head
        self.dropout = dropout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, T, d = x.shape
        q, k, v = self.c_attn(x).split(d, dim=-1)
        hd = d // self.n_head
        q, k, v = (t.view(B, T, self.n_head, hd).transpose(1, 2) for t in (q, k, v))
        if hasattr(F, "scaled_dot_product_attention"):  # torch >= 2.0 (flash / mem-efficient kernels)
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True,
                                               dropout_p=self.dropout if self.training else 0.0)
        else:
            att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(hd))
            mask = torch.ones(T, T, dtype=torch.bool, device=x.device).triu(1)
            att = att.masked_fill(mask, float("-inf")).softmax(dim=-1)
            att = F.dropout(att, self.dropout, self.training)
            y = att @ v
        y = y.transpose(1, 2).reshape(B, T, d)
        return F.dropout(self.c_proj(y), self.dropout, self.training)


class MLP(nn.Module):
    def __init__(self, d: int, dropout: float):
        super().__init__()
        self.c_fc = Conv1D(d, 4 * d)
        self.c_proj = Conv1D(4 * d, d)
        self.dropout = dropout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.dropout(self.c_proj(gelu_new(self.c_fc(x))), self.dropout, self.training)


class Block(nn.Module):
    def __init__(self, d: int, n_head: int, eps: float, dropout: float):
        super().__init__()
        self.ln_1 = nn.LayerNorm(d, eps=eps)
        self.attn = Attention(d, n_head, dropout)
        self.ln_2 = nn.LayerNorm(d, eps=eps)
        self.mlp = MLP(d, dropout)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        a = h + self.attn(self.ln_1(h))
        return a + self.mlp(self.ln_2(a))


class GPT2(nn.Module):
    """state_dict() keys are exactly HF GPT2Model's: wte.weight, wpe.weight, h.{i}.…, ln_f.…"""

    def __init__(self, cfg: dict, dropout: float = 0.0):
        super().__init__()
        d, L = cfg["n_embd"], cfg["n_layer"]
        eps = cfg["layer_norm_epsilon"]
        self.cfg = cfg
        self.wte = nn.Embedding(cfg["vocab_size"], d)
        self.wpe = nn.Embedding(cfg["n_positions"], d)
        self.h = nn.ModuleList([Block(d, cfg["n_head"], eps, dropout) for _ in range(L)])
        self.ln_f = nn.LayerNorm(d, eps=eps)
        self.dropout = dropout
        # GPT-2 init: N(0, 0.02); residual projections scaled by 1/sqrt(2L); LN 1/0; biases 0
        for name, p in self.named_parameters():
            if name.endswith("bias"):
                nn.init.zeros_(p)
            elif ".ln_" in name or name.startswith("ln_f"):
                nn.init.ones_(p)
            elif name.endswith("c_proj.weight"):
                nn.init.normal_(p, 0.0, 0.02 / math.sqrt(2 * L))
            else:
                nn.init.normal_(p, 0.0, 0.02)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        T = ids.shape[1]
        h = self.wte(ids) + self.wpe(torch.arange(T, device=ids.device))
        h = F.dropout(h, self.dropout, self.training)
        for block in self.h:
            h = block(h)
        return self.ln_f(h) @ self.wte.weight.t()  # tied head


# --------------------------------------------------------------------------------------------
# Checkpoint (HF layout)
# --------------------------------------------------------------------------------------------

def read_safetensors(path: Path) -> dict:
    """The F32 tensors of a checkpoint (F16 files, the shipped copies, are widened)."""
    return safetensors_io.read_safetensors(path)[0]


def hf_config(cfg: dict) -> dict:
    return {
        "architectures": ["GPT2LMHeadModel"],
        "model_type": "gpt2",
        "vocab_size": cfg["vocab_size"],
        "n_positions": cfg["n_positions"],
        "n_ctx": cfg["n_positions"],
        "n_embd": cfg["n_embd"],
        "n_layer": cfg["n_layer"],
        "n_head": cfg["n_head"],
        "n_inner": None,
        "activation_function": "gelu_new",
        "layer_norm_epsilon": cfg["layer_norm_epsilon"],
        "resid_pdrop": 0.0,
        "embd_pdrop": 0.0,
        "attn_pdrop": 0.0,
        "initializer_range": 0.02,
        "scale_attn_weights": True,
        "tie_word_embeddings": True,
        "bos_token_id": cfg["eos_token_id"],
        "eos_token_id": cfg["eos_token_id"],
        "torch_dtype": "float32",
    }


def save_checkpoint(model: GPT2, out: Path, tokenizer_dir: Path | None, log: dict) -> None:
    out.mkdir(parents=True, exist_ok=True)
    sd = {k: v.detach().to("cpu", torch.float32) for k, v in model.state_dict().items()}
    safetensors_io.write_safetensors(out / "model.safetensors", sd, metadata={"format": "pt"})
    (out / "config.json").write_text(json.dumps(hf_config(model.cfg), indent=2) + "\n")
    if tokenizer_dir is not None:
        for name in ("tokenizer.json", "tokenizer_config.json"):
            if (tokenizer_dir / name).exists():
                shutil.copyfile(tokenizer_dir / name, out / name)
    (out / "training_log.json").write_text(json.dumps(log, indent=2) + "\n")


# --------------------------------------------------------------------------------------------
# Data, evaluation, sampling
# --------------------------------------------------------------------------------------------

def load_tokens(path: str) -> tuple[np.ndarray, np.ndarray]:
    arr = np.load(path)
    assert arr.dtype == np.uint16 and arr.ndim == 1, (arr.dtype, arr.shape)
    marks = np.flatnonzero(arr == SPLIT_MARK)
    assert marks.size == 1, "expected exactly one 65535 split mark"
    return arr[:marks[0]].astype(np.int64), arr[marks[0] + 1:].astype(np.int64)


def autocast(device: str, amp_dtype):
    if amp_dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.split(":")[0], dtype=amp_dtype)


@torch.no_grad()
def evaluate(model: GPT2, data: np.ndarray, seq: int, batch: int, device: str, amp_dtype,
             max_tokens: int = 0) -> tuple[float, int]:
    """Mean next-token cross-entropy (nats) over the non-overlapping seq-token windows of data
    (with max_tokens, over that many tokens' worth of windows spread evenly through data)."""
    model.eval()
    n = (len(data) - 1) // seq
    x_all = torch.from_numpy(data[:n * seq].reshape(n, seq))
    y_all = torch.from_numpy(data[1:n * seq + 1].reshape(n, seq))
    if max_tokens and max_tokens // seq < n:
        pick = torch.from_numpy(np.linspace(0, n - 1, max(1, max_tokens // seq)).round().astype(np.int64))
        x_all, y_all = x_all[pick], y_all[pick]
        n = len(pick)
    total, count = 0.0, 0
    for i in range(0, n, batch):
        x = x_all[i:i + batch].to(device)
        y = y_all[i:i + batch].to(device)
        with autocast(device, amp_dtype):
            logits = model(x)
        loss = F.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), y.reshape(-1), reduction="sum")
        total += float(loss)
        count += y.numel()
    model.train()
    return total / max(count, 1), count


@torch.no_grad()
def greedy(model: GPT2, ids: list[int], n: int, device: str) -> list[int]:
    model.eval()
    out = list(ids)
    for _ in range(n):
        x = torch.tensor([out[-model.cfg["n_positions"]:]], device=device)
        out.append(int(model(x)[0, -1].float().argmax()))
    model.train()
    return out[len(ids):]


def load_tokenizer(tokenizer_dir: Path):
    try:
        sys.path.insert(0, str(HERE))
        from bpe import ByteLevelBPE
        return ByteLevelBPE.from_json(tokenizer_dir / "tokenizer.json")
    except Exception as e:  # noqa: BLE001
        print(f"(no tokenizer for samples: {e})", file=sys.stderr)
        return None


def samples(model: GPT2, enc, device: str, prompts: list[str]) -> list[dict]:
    rows = []
    for p in prompts:
        ids = enc.encode(p)
        with torch.no_grad():
            model.eval()
            probs = model(torch.tensor([ids], device=device))[0, -1].float().softmax(-1)
            model.train()
        top = torch.topk(probs, 5)
        cont = greedy(model, ids, 24, device)
        rows.append({"prompt": p, "continuation": enc.decode(cont),
                     "top5": " ".join(f"{enc.decode([int(i)])!r}:{float(v):.3f}" for v, i in zip(top.values, top.indices))})
    return rows


# --------------------------------------------------------------------------------------------
# Synthetic repeats (induction)
# --------------------------------------------------------------------------------------------

# Printable ASCII without the space: the seed prompt's alphabet. The space separates copies.
PRINTABLE = [chr(c) for c in range(0x21, 0x7F)]
IGNORE = -100  # F.cross_entropy's ignore_index


def random_printable(rng: np.random.Generator, lo: int, hi: int) -> str:
    return "".join(rng.choice(PRINTABLE, size=int(rng.integers(lo, hi + 1))))


def synthetic_doc(rng: np.random.Generator, enc, eos: int, printable_share: float = 0.5) -> tuple[list[int], list[bool]]:
    """One document that repeats a random unit 2 or 3 times, and for each token whether it is a
    training target. A share of the documents (`printable_share`, half by default) repeat a printable
    string of 8-48 characters with a space between copies ("s s", like the seed prompt); the rest repeat
    a run of 8-64 token ids drawn uniformly from the vocabulary (no separator), so the copying is learnt
    on tokens the natural corpus rarely puts side by side. Copy 1 and the first token of copy 2 are
    random, so they are not targets: training on noise would only teach the model to spread its
    natural-text predictions. The printable strings are the harder kind: their single characters recur
    within a copy, so copying them means matching the tokens before, where a token run almost never
    repeats a token."""
    copies = int(rng.integers(2, 4))
    if rng.random() < printable_share and enc is not None:
        s = random_printable(rng, 8, 48)
        # copies encoded one by one: the pre-tokenizer always cuts before " s", so this equals
        # encoding the whole "s s s"
        parts = [enc.encode(s)] + [enc.encode(" " + s) for _ in range(copies - 1)]
    else:
        run = rng.integers(0, eos, size=int(rng.integers(8, 65))).tolist()
        parts = [run] * copies
    ids, train = [], []
    for k, part in enumerate(parts):
        ids += part
        train += [k > 0 and (k > 1 or j > 0) for j in range(len(part))]
    return ids, train


def synthetic_row(rng: np.random.Generator, enc, eos: int, length: int,
                  printable_share: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """A window of `length` tokens cut from synthetic documents, each followed by <|endoftext|> as the
    corpus separates its documents; starts at a random offset in the first document like the corpus
    windows. Returns the ids and the target mask (the <|endoftext|> after a document is a target)."""
    ids, train = [], []
    while len(ids) < length * 2:
        d, t = synthetic_doc(rng, enc, eos, printable_share)
        ids += d + [eos]
        train += t + [True]
    start = int(rng.integers(0, len(ids) - length))
    return np.array(ids[start:start + length], dtype=np.int64), np.array(train[start:start + length])


@torch.no_grad()
def induction_accuracy(model: GPT2, enc, device: str, seed: int, n: int = 32) -> float:
    """Output top-1 accuracy on the predictable tokens of the second copy of "s s" (s: 16-32 random
    printable characters): every token of copy 2 after its first. The same measurement as
    tools/default-model/induction.ts, here for the training log."""
    rng = np.random.default_rng(seed)
    hit = total = 0
    model.eval()
    for _ in range(n):
        s = random_printable(rng, 16, 32)
        first = enc.encode(s)
        ids = first + enc.encode(" " + s)
        pred = model(torch.tensor([ids], device=device))[0].float().argmax(-1).tolist()
        for p in range(len(first) + 1, len(ids)):
            hit += int(pred[p - 1] == ids[p])
            total += 1
    model.train()
    return hit / max(total, 1)


# --------------------------------------------------------------------------------------------

def warn_reference_blas() -> None:
    """Debian's python3-torch 1.13 does its fp32 GEMMs in whatever libblas.so.3 is selected, by default
    the netlib reference BLAS (about 1 GFLOP/s here). OpenBLAS is 10-20x faster; see README.md."""
    try:
        maps = Path("/proc/self/maps").read_text()
    except OSError:
        return
    if "BLAS_INFO=generic" in torch.__config__.show() and "openblas" not in maps.lower() and "mkl" not in maps.lower():
        print("WARNING: torch is using the reference BLAS (slow). Point LD_LIBRARY_PATH at an OpenBLAS "
              "folder (README.md: 'CPU speed').", file=sys.stderr)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default="/tmp/default-model/tokens.npy")
    ap.add_argument("--out", default="/tmp/default-model/ckpt")
    ap.add_argument("--tokenizer-dir", default=str(HERE / "tokenizer"))
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--amp", choices=["none", "bf16", "fp16"], default="none", help="autocast on cuda")
    ap.add_argument("--compile", action="store_true", help="torch.compile (torch >= 2)")
    ap.add_argument("--n-layer", type=int, default=4)
    ap.add_argument("--n-embd", type=int, default=256)
    ap.add_argument("--n-head", type=int, default=4)
    ap.add_argument("--n-positions", type=int, default=256)
    ap.add_argument("--seq-len", type=int, default=256)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--min-lr-frac", type=float, default=0.1)
    ap.add_argument("--warmup", type=int, default=100, help="warm-up steps (linear)")
    ap.add_argument("--weight-decay", type=float, default=0.1)
    ap.add_argument("--beta2", type=float, default=0.95)
    ap.add_argument("--grad-clip", type=float, default=1.0)
    ap.add_argument("--dropout", type=float, default=0.0)
    ap.add_argument("--steps", type=int, default=0, help="total steps (cosine horizon); 0 = use --minutes")
    ap.add_argument("--minutes", type=float, default=0.0, help="wall-clock budget; with no --steps the "
                    "cosine schedule follows elapsed time")
    ap.add_argument("--eval-every", type=int, default=200)
    ap.add_argument("--eval-batch", type=int, default=32)
    ap.add_argument("--eval-tokens", type=int, default=0, help="held-out tokens for the periodic evals "
                    "(windows spread evenly; 0 = all); the final eval always uses all")
    ap.add_argument("--keep-best", action="store_true", help="write the weights of the periodic eval with "
                    "the lowest held-out loss (use with --eval-tokens 0; selects on the held-out set)")
    ap.add_argument("--init-from", default="", help="start from this HF folder's config.json and "
                    "model.safetensors (F32 or F16; trained in F32) instead of a fresh init; "
                    "--n-layer/--n-embd/--n-head/--n-positions are then taken from it")
    ap.add_argument("--synthetic-share", type=float, default=0.0, help="fraction of each batch's rows "
                    "made of repeated random sequences (synthetic_row) instead of corpus windows")
    ap.add_argument("--synthetic-seq-len", type=int, default=0, help="length of the synthetic rows "
                    "(0 = --seq-len); copying needs little context, so short rows buy more steps")
    ap.add_argument("--printable-share", type=float, default=0.5, help="share of the synthetic documents "
                    "that repeat a random printable string (the rest repeat a run of random token ids)")
    ap.add_argument("--save-at-eval", action="store_true", help="also write the checkpoint to --out at every "
                    "periodic eval, so a run stopped early leaves its latest weights")
    ap.add_argument("--train-only", default="", help="train only the parameters whose name contains this "
                    "(e.g. .attn.); the rest stay as loaded")
    ap.add_argument("--freeze", default="", help="keep the parameters whose name contains this as loaded")
    ap.add_argument("--distill-from", default="", help="HF folder of a teacher (e.g. version 1): on corpus rows "
                    "the loss mixes the hard next-token loss with the cross-entropy to the teacher's "
                    "distribution, so a fine-tune for a new skill keeps what the teacher knew of natural text")
    ap.add_argument("--distill-weight", type=float, default=0.5, help="share of the teacher's soft targets in "
                    "the corpus rows' loss (with --distill-from)")
    ap.add_argument("--induction-seed", type=int, default=777, help="seed of the random strings of the "
                    "periodic induction measurement (never the training seed)")
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--prompts", default="And God said, Let there be|To be, or not to|In the beginning|"
                    "First Citizen:|The jury said")
    ap.add_argument("--eval-only", action="store_true", help="with --init-from: no training, only the final "
                    "evaluation (held-out loss, induction, samples); writes nothing")
    args = ap.parse_args()
    if args.eval_only and not args.init_from:
        ap.error("--eval-only needs --init-from")
    if not args.steps and not args.minutes and not args.eval_only:
        ap.error("give --steps and/or --minutes")
    assert args.seq_len <= args.n_positions and args.synthetic_seq_len <= args.n_positions

    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    rng = np.random.default_rng(args.seed)
    if args.device == "cpu":
        torch.set_num_threads(args.threads)
        warn_reference_blas()
    device = args.device
    amp_dtype = {"none": None, "bf16": torch.bfloat16, "fp16": torch.float16}[args.amp]
    if device == "cpu":
        amp_dtype = None

    train, heldout = load_tokens(args.data)
    vocab_size = int(max(train.max(), heldout.max())) + 1
    tokenizer_dir = Path(args.tokenizer_dir)
    enc = load_tokenizer(tokenizer_dir) if tokenizer_dir.exists() else None
    if enc is not None:
        assert len(enc.vocab) >= vocab_size
        vocab_size = len(enc.vocab)
        eos = enc.eot_id
    else:
        eos = vocab_size - 1
    # bytes per held-out target token, for bits per byte (EOS counts as 0 bytes)
    byte_len = None
    if enc is not None:  # each character of a byte-level token is one byte
        byte_len = np.array([0 if i == eos else len(enc.inv[i]) for i in range(vocab_size)])

    if args.init_from:
        hf = json.loads((Path(args.init_from) / "config.json").read_text())
        args.n_layer, args.n_embd, args.n_head, args.n_positions = (
            hf["n_layer"], hf["n_embd"], hf["n_head"], hf["n_positions"])
        assert hf["vocab_size"] == vocab_size, (hf["vocab_size"], vocab_size)
    cfg = {"vocab_size": vocab_size, "n_positions": args.n_positions, "n_embd": args.n_embd,
           "n_layer": args.n_layer, "n_head": args.n_head, "layer_norm_epsilon": 1e-5, "eos_token_id": eos}
    model = GPT2(cfg, dropout=args.dropout)
    if args.init_from:
        model.load_state_dict(read_safetensors(Path(args.init_from) / "model.safetensors"))
    model = model.to(device)
    teacher = None
    if args.distill_from:
        teacher = GPT2(cfg)
        teacher.load_state_dict(read_safetensors(Path(args.distill_from) / "model.safetensors"))
        teacher = teacher.to(device).eval()
        for p in teacher.parameters():
            p.requires_grad_(False)
    n_synth = round(args.synthetic_share * args.batch_size)
    if n_synth and enc is None:
        print("(no tokenizer: the synthetic rows are token runs only)", file=sys.stderr)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"model: {cfg} -> {n_params:,} parameters ({n_params * 4 / 1e6:.1f} MB as F32); "
          f"train {len(train):,} tokens, held-out {len(heldout):,}; device {device}"
          f"{' threads ' + str(torch.get_num_threads()) if device == 'cpu' else ''}", file=sys.stderr)

    if args.train_only or args.freeze:
        # e.g. --train-only .attn.: induction is an attention circuit (a previous-token head feeding an
        # induction head), so the embeddings, MLPs and LayerNorms can keep what natural text taught them;
        # --freeze .attn. then lets the rest adapt to the new heads without undoing them
        for n, p in model.named_parameters():
            p.requires_grad_((not args.train_only or args.train_only in n) and not (args.freeze and args.freeze in n))
        print(f"training {sum(p.numel() for p in model.parameters() if p.requires_grad):,} parameters "
              f"(--train-only {args.train_only!r} --freeze {args.freeze!r})", file=sys.stderr)
    decay = [p for n, p in model.named_parameters() if p.requires_grad and p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.requires_grad and p.dim() < 2]
    opt_kwargs = {}
    try:
        if device.startswith("cuda") and "fused" in inspect.signature(torch.optim.AdamW).parameters:
            opt_kwargs = {"fused": True}
    except (TypeError, ValueError):
        pass
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": args.weight_decay},
                             {"params": no_decay, "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, args.beta2), eps=1e-8, **opt_kwargs)
    scaler = None
    if amp_dtype == torch.float16:
        scaler = torch.amp.GradScaler("cuda") if hasattr(torch.amp, "GradScaler") else torch.cuda.amp.GradScaler()
    fwd = torch.compile(model) if args.compile else model

    def lr_at(progress: float, step: int) -> float:
        if step < args.warmup:
            return args.lr * (step + 1) / args.warmup
        p = min(max(progress, 0.0), 1.0)
        return args.lr * (args.min_lr_frac + (1 - args.min_lr_frac) * 0.5 * (1 + math.cos(math.pi * p)))

    seq, B = args.seq_len, args.batch_size
    synth_seq = args.synthetic_seq_len or seq
    eval_seq = args.n_positions  # the held-out figures always read full-context windows
    budget = args.minutes * 60 if args.minutes else float("inf")
    log = {"args": vars(args), "config": hf_config(cfg), "parameters": n_params, "history": []}
    t_start = time.time()
    t_train = 0.0
    step, tokens_seen = 0, 0
    loss_sum, loss_n = torch.zeros((), device=device), 0  # train loss since the last eval (no per-step sync)
    last_train_loss = float("nan")
    warm_t0, warm_tok = None, 0
    eval_s = 0.0  # time spent in periodic evals, left out of tokens/s
    best = {"loss": float("inf"), "step": 0, "state": None}
    while True:
        elapsed = time.time() - t_start
        progress = max(step / args.steps if args.steps else 0.0, elapsed / budget)
        if progress >= 1.0 or args.eval_only:
            break
        lr = lr_at(progress, step)
        for g in opt.param_groups:
            g["lr"] = lr
        starts = rng.integers(0, len(train) - seq - 1, size=B - n_synth)
        groups = []  # (inputs, targets, is corpus): corpus windows of seq tokens, synthetic rows of synth_seq
        if len(starts):
            batch = np.stack([train[s:s + seq + 1] for s in starts])
            groups.append((batch[:, :-1], batch[:, 1:], True))
        if n_synth:
            rows, masks = zip(*(synthetic_row(rng, enc, eos, synth_seq + 1, args.printable_share) for _ in range(n_synth)))
            batch = np.stack(rows)
            target = np.where(np.stack(masks), batch, IGNORE)
            groups.append((batch[:, :-1], target[:, 1:], False))
        t0 = time.time()
        # one loss over every target of both groups, as if they were one batch
        loss_total, n_targets = 0.0, 0
        for xs, ys, is_corpus in groups:
            x = torch.from_numpy(np.ascontiguousarray(xs)).to(device, non_blocking=True)
            y = torch.from_numpy(np.ascontiguousarray(ys)).to(device, non_blocking=True)
            with autocast(device, amp_dtype):
                logits = fwd(x)
            flat = logits.float().reshape(-1, vocab_size)
            hard = F.cross_entropy(flat, y.reshape(-1), ignore_index=IGNORE, reduction="sum")
            if teacher is not None and is_corpus:
                with torch.no_grad(), autocast(device, amp_dtype):
                    target_p = F.softmax(teacher(x).float().reshape(-1, vocab_size), dim=-1)
                soft = -(target_p * F.log_softmax(flat, dim=-1)).sum()
                hard = (1 - args.distill_weight) * hard + args.distill_weight * soft
            loss_total = loss_total + hard
            n_targets += int((y != IGNORE).sum())
        loss = loss_total / max(n_targets, 1)
        opt.zero_grad(set_to_none=True)
        if scaler is None:
            loss.backward()
            gnorm = torch.nn.utils.clip_grad_norm_([p for p in model.parameters() if p.requires_grad], args.grad_clip)
            opt.step()
        else:
            scaler.scale(loss).backward()
            scaler.unscale_(opt)
            gnorm = torch.nn.utils.clip_grad_norm_([p for p in model.parameters() if p.requires_grad], args.grad_clip)
            scaler.step(opt)
            scaler.update()
        step += 1
        tokens_seen += (B - n_synth) * seq + n_synth * synth_seq
        loss_sum += loss.detach()
        loss_n += 1
        t_train += time.time() - t0
        if step == 20:
            if device.startswith("cuda"):
                torch.cuda.synchronize()
            warm_t0, warm_tok = time.time(), tokens_seen
        if step % args.eval_every == 0:
            last_train_loss = float(loss_sum) / loss_n
            loss_sum.zero_()
            loss_n = 0
            te = time.time()
            hl, _ = evaluate(model, heldout, eval_seq, args.eval_batch, device, amp_dtype, args.eval_tokens)
            ind = induction_accuracy(model, enc, device, args.induction_seed) if enc is not None else None
            if warm_t0:
                eval_s += time.time() - te
            tps = (tokens_seen - warm_tok) / (time.time() - warm_t0 - eval_s) if warm_t0 else 0
            row = {"step": step, "tokens": tokens_seen, "epochs": round(tokens_seen / len(train), 3),
                   "elapsed_s": round(time.time() - t_start, 1), "lr": round(lr, 6),
                   "train_loss": round(last_train_loss, 4),
                   "heldout_loss": round(hl, 4), "grad_norm": round(float(gnorm), 3),
                   "train_tokens_per_s": round(tps)}
            if ind is not None:
                row["induction"] = round(ind, 4)
            log["history"].append(row)
            if args.keep_best and hl < best["loss"]:
                best = {"loss": hl, "step": step,
                        "state": {k: v.detach().clone() for k, v in model.state_dict().items()}}
            print(json.dumps(row), file=sys.stderr, flush=True)
            if args.save_at_eval:
                save_checkpoint(model, Path(args.out), tokenizer_dir if tokenizer_dir.exists() else None, log)

    if device.startswith("cuda"):
        torch.cuda.synchronize()
    wall = time.time() - t_start
    final_step = step
    if args.keep_best and best["state"] is not None:
        last, _ = evaluate(model, heldout, eval_seq, args.eval_batch, device, amp_dtype, args.eval_tokens)
        if best["loss"] < last:
            model.load_state_dict(best["state"])
            print(f"keeping the weights of step {best['step']} (held-out {best['loss']:.4f} < {last:.4f})",
                  file=sys.stderr)
        else:
            best["step"] = final_step
    tps = (tokens_seen - warm_tok) / (time.time() - warm_t0 - eval_s) if warm_t0 else tokens_seen / wall
    hl, n_eval = evaluate(model, heldout, eval_seq, args.eval_batch, device, amp_dtype)
    result = {"steps": step, "weights_from_step": best["step"] if args.keep_best else step, "tokens": tokens_seen, "epochs": round(tokens_seen / len(train), 3),
              "wall_s": round(wall, 1), "train_tokens_per_s": round(tps),
              "train_loss_last": round(float(loss_sum) / loss_n if loss_n else last_train_loss, 4),
              "heldout_loss": round(hl, 4), "heldout_perplexity": round(math.exp(hl), 2),
              "heldout_tokens_evaluated": n_eval}
    if byte_len is not None:
        n = (len(heldout) - 1) // eval_seq
        nbytes = int(byte_len[heldout[1:n * eval_seq + 1]].sum())
        result["heldout_bits_per_byte"] = round(hl * n_eval / math.log(2) / nbytes, 4)
    if enc is not None:
        result["induction"] = round(induction_accuracy(model, enc, device, args.induction_seed, 64), 4)
        prompts = [p for p in args.prompts.split("|") if p]
        result["samples"] = samples(model, enc, device, prompts)
    log["result"] = result
    if args.eval_only:
        print(json.dumps(result, indent=2, ensure_ascii=False))
        return
    save_checkpoint(model.to("cpu"), Path(args.out), tokenizer_dir if tokenizer_dir.exists() else None, log)
    print(json.dumps(result, indent=2, ensure_ascii=False))
    size = sum(f.stat().st_size for f in Path(args.out).iterdir())
    print(f"wrote {args.out} ({size / 1e6:.2f} MB)", file=sys.stderr)


if __name__ == "__main__":
    main()
