#!/usr/bin/env python3
"""Write the GPT-NeoX test fixtures under tests/fixtures/ (deterministic).

    /usr/bin/python3 tools/reference/make_neox_fixtures.py

A tiny random GPT-NeoX in Hugging Face layout with a Pythia-like config (partial rotary, parallel
residual, exact GELU, untied embed_out, a vocabulary padded beyond its tokenizer's), its own small
byte-level BPE tokenizer.json of the NeoX kind, a current-format tuned lens for it, and the expected
values from gptneox_reference.py. See tools/reference/README.md ("GPT-NeoX fixtures"). It writes only
tests/fixtures/tiny-neox*/ and tests/fixtures/expected/tiny-neox*.json.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
import unicodedata
from collections import Counter, OrderedDict
from pathlib import Path
from typing import Dict, List

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gptneox_reference as ref  # noqa: E402
from make_fixtures import expected_for, f16_round, f32num, make_translators, torch_save_bytes, write_json  # noqa: E402
from safetensors_io import write_safetensors  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "default-model"))
from bpe import bytes_to_unicode  # noqa: E402  (GPT-2's byte map, written once for the default model's tokenizer)

ROOT = Path(__file__).resolve().parents[2]
FIX = ROOT / "tests" / "fixtures"

SEED_START = 0
MIN_TOPK_GAP = 1e-4
TOPK = 5
D, L, N_HEAD, INTER, N_POS = 64, 3, 4, 256, 128
V = 448  # the tokenizer has 409 tokens; rows 409..447 are padding, as Pythia's 50,304 rows vs 50,277 tokens
NUM_MERGES = 150
STD = {"embed_in": 0.3, "embed_out": 0.3, "qkv": 0.2, "dense": 0.05, "h_to_4h": 0.3, "4h_to_h": 0.05,
       "bias": 0.02, "ln_w": 0.1, "ln_b": 0.02}

CONFIG = OrderedDict([
    ("_name_or_path", "tiny-neox"),
    ("architectures", ["GPTNeoXForCausalLM"]),
    ("attention_bias", True),
    ("attention_dropout", 0.0),
    ("bos_token_id", 0),
    ("classifier_dropout", 0.1),
    ("eos_token_id", 0),
    ("hidden_act", "gelu"),
    ("hidden_dropout", 0.0),
    ("hidden_size", D),
    ("initializer_range", 0.02),
    ("intermediate_size", INTER),
    ("layer_norm_eps", 1e-05),
    ("max_position_embeddings", N_POS),
    ("model_type", "gpt_neox"),
    ("num_attention_heads", N_HEAD),
    ("num_hidden_layers", L),
    ("rope_scaling", None),
    ("rotary_emb_base", 10000),
    ("rotary_pct", 0.25),
    ("tie_word_embeddings", False),
    ("torch_dtype", "float32"),
    ("transformers_version", "4.40.0"),
    ("use_cache", True),
    ("use_parallel_residual", True),
    ("vocab_size", V),
])

# ---------------------------------------------------------------------------------------------
# A small byte-level BPE tokenizer of the NeoX kind (tokenizer.json as the Pythia repos ship it:
# NFC normalizer, ByteLevel pre-tokenizer and decoder without prefix space, <|endoftext|> = 0,
# <|padding|> = 1, a whitespace-run added token), trained here on a few public-domain sentences.
# ---------------------------------------------------------------------------------------------

CORPUS = """In the beginning God created the heaven and the earth. And the earth was without form, and void;
and darkness was upon the face of the deep. And the Spirit of God moved upon the face of the waters.
And God said, Let there be light: and there was light. And God saw the light, that it was good.
The quick brown fox jumps over the lazy dog. When Mary and John went to the store, John gave a drink to Mary.
To be, or not to be, that is the question: Whether 'tis nobler in the mind to suffer the slings and arrows
of outrageous fortune, or to take arms against a sea of troubles. def main(): return 0  # code, too
"""

# GPT-2's pre-tokenizer pattern, written for Python's re (\\p{L} -> [^\\W\\d_], \\p{N} -> \\d); the texts
# here are ASCII, where the two agree.
PRETOKENIZE = re.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?[^\W\d_]+| ?\d+| ?(?:[^\s\w]|_)+|\s+(?!\S)|\s+""")
SPECIAL = ["<|endoftext|>", "<|padding|>"]
WHITESPACE_RUN = "  "  # Pythia adds runs of spaces as tokens at the end of its vocabulary


BYTE = bytes_to_unicode()


def pieces(text: str) -> List[str]:
    return ["".join(BYTE[b] for b in m.encode("utf-8")) for m in PRETOKENIZE.findall(text)]


def train_bpe(corpus: str, num_merges: int):
    words = Counter(tuple(p) for p in pieces(corpus))
    merges = []
    for _ in range(num_merges):
        pairs: Counter = Counter()
        for word, count in words.items():
            for a, b in zip(word, word[1:]):
                pairs[(a, b)] += count
        if not pairs:
            break
        best = max(pairs.items(), key=lambda kv: (kv[1], kv[0]))[0]  # deterministic tie-break
        merges.append(best)
        merged = Counter()
        for word, count in words.items():
            out, i = [], 0
            while i < len(word):
                if i + 1 < len(word) and (word[i], word[i + 1]) == best:
                    out.append(word[i] + word[i + 1])
                    i += 2
                else:
                    out.append(word[i])
                    i += 1
            merged[tuple(out)] += count
        words = merged
    return merges


def build_tokenizer():
    merges = train_bpe(CORPUS, NUM_MERGES)
    vocab = OrderedDict((s, i) for i, s in enumerate(SPECIAL))
    for b in range(256):
        vocab[BYTE[b]] = len(vocab)
    for a, b in merges:
        vocab.setdefault(a + b, len(vocab))
    run_id = len(vocab)
    added = [{"id": i, "content": s, "single_word": False, "lstrip": False, "rstrip": False, "normalized": False,
              "special": True} for i, s in enumerate(SPECIAL)]
    added.append({"id": run_id, "content": WHITESPACE_RUN, "single_word": False, "lstrip": False, "rstrip": False,
                  "normalized": True, "special": False})
    byte_level = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True}
    tokenizer = OrderedDict([
        ("version", "1.0"), ("truncation", None), ("padding", None), ("added_tokens", added),
        ("normalizer", {"type": "NFC"}), ("pre_tokenizer", byte_level), ("post_processor", byte_level),
        ("decoder", byte_level),
        ("model", OrderedDict([("type", "BPE"), ("dropout", None), ("unk_token", None),
                               ("continuing_subword_prefix", None), ("end_of_word_suffix", None),
                               ("fuse_unk", False), ("byte_fallback", False), ("vocab", vocab),
                               ("merges", [f"{a} {b}" for a, b in merges])])),
    ])
    config = OrderedDict([("add_bos_token", False), ("add_eos_token", False), ("add_prefix_space", False),
                          ("bos_token", "<|endoftext|>"), ("clean_up_tokenization_spaces", True),
                          ("eos_token", "<|endoftext|>"), ("model_max_length", N_POS),
                          ("pad_token", None), ("tokenizer_class", "GPTNeoXTokenizer"),
                          ("unk_token", "<|endoftext|>")])
    return tokenizer, config, vocab, merges, run_id


def encode(text: str, vocab, merges, run_id: int) -> List[int]:
    """The tokenizer's ids for `text`: added tokens first (specials, then the whitespace run), NFC,
    pre-tokenize, then BPE by merge rank -- what the `tokenizers` library does with tokenizer.json."""
    assert all(ord(c) < 128 for c in text), "the pre-tokenizer here is exact for ASCII only"
    rank = {m: i for i, m in enumerate(merges)}
    added = {s: i for i, s in enumerate(SPECIAL)}
    added[WHITESPACE_RUN] = run_id
    pattern = re.compile("|".join(re.escape(s) for s in sorted(added, key=len, reverse=True)))
    ids: List[int] = []
    pos = 0
    for m in list(pattern.finditer(text)) + [None]:
        chunk = text[pos:m.start()] if m else text[pos:]
        for piece in pieces(unicodedata.normalize("NFC", chunk)):
            word = list(piece)
            while len(word) > 1:
                pairs = [(rank.get((a, b), 1 << 30), i) for i, (a, b) in enumerate(zip(word, word[1:]))]
                best, i = min(pairs)
                if best == 1 << 30:
                    break
                word[i:i + 2] = [word[i] + word[i + 1]]
            ids.extend(vocab[w] for w in word)
        if m:
            ids.append(added[m.group(0)])
            pos = m.end()
    return ids


TOKENIZER_TEXTS = [
    "82U*N#c4t^koK%a5*S3qrfBi 82U*N#c4t^koK%a5*S3qrfBi",
    "And God said, Let there be light",
    "The quick brown fox jumps over the lazy dog.",
    "two  spaces and    four, tabs\tand\nnewlines",
    "<|endoftext|>To be, or not to be<|endoftext|>",
    "snake_case_name = 42 # and 'quotes' it's",
]

# ---------------------------------------------------------------------------------------------
# The model
# ---------------------------------------------------------------------------------------------


def make_model(gen: torch.Generator) -> "OrderedDict[str, torch.Tensor]":
    """Unprefixed names, in transformers' state_dict order."""
    def n(shape, std):
        return torch.randn(*shape, generator=gen, dtype=torch.float32) * std

    p: "OrderedDict[str, torch.Tensor]" = OrderedDict()
    p["embed_in.weight"] = n((V, D), STD["embed_in"])
    for i in range(L):
        pre = f"layers.{i}."
        for norm in ("input_layernorm", "post_attention_layernorm"):
            p[pre + norm + ".weight"] = 1.0 + n((D,), STD["ln_w"])
            p[pre + norm + ".bias"] = n((D,), STD["ln_b"])
        p[pre + "attention.query_key_value.weight"] = n((3 * D, D), STD["qkv"])
        p[pre + "attention.query_key_value.bias"] = n((3 * D,), STD["bias"])
        p[pre + "attention.dense.weight"] = n((D, D), STD["dense"])
        p[pre + "attention.dense.bias"] = n((D,), STD["bias"])
        p[pre + "mlp.dense_h_to_4h.weight"] = n((INTER, D), STD["h_to_4h"])
        p[pre + "mlp.dense_h_to_4h.bias"] = n((INTER,), STD["bias"])
        p[pre + "mlp.dense_4h_to_h.weight"] = n((D, INTER), STD["4h_to_h"])
        p[pre + "mlp.dense_4h_to_h.bias"] = n((D,), STD["bias"])
    p["final_layer_norm.weight"] = 1.0 + n((D,), STD["ln_w"])
    p["final_layer_norm.bias"] = n((D,), STD["ln_b"])
    p["embed_out.weight"] = n((V, D), STD["embed_out"])
    return p


def hf_layout(model, dtype, buffers: bool) -> "OrderedDict[str, torch.Tensor]":
    """GPTNeoXForCausalLM's names: gpt_neox.* and the top-level embed_out; optionally the rotary
    inv_freq buffer that older files carry (which the reader must ignore)."""
    out = OrderedDict()
    for k, v in model.items():
        out[k if k == "embed_out.weight" else "gpt_neox." + k] = v.to(dtype)
    if buffers:
        r = int((D // N_HEAD) * CONFIG["rotary_pct"])
        inv_freq = 1.0 / (CONFIG["rotary_emb_base"] ** (torch.arange(0, r, 2).float() / r))
        for i in range(L):
            out[f"gpt_neox.layers.{i}.attention.rotary_emb.inv_freq"] = inv_freq.to(dtype)
    return out


def sample_ids() -> List[int]:
    """64 ids whose log-probs are stored for every cell: bytes, merges, the added token, padding rows."""
    return sorted(set(range(0, 24)) | set(range(250, 270)) | set(range(400, 420)))


def prompts(vocab, merges, run_id):
    texts = [("seed", "82U*N#c4t^koK%a5*S3qrfBi 82U*N#c4t^koK%a5*S3qrfBi"),
             ("english", "And God said, Let there be light: and there was light.")]
    out = [{"name": name, "text": text, "input_ids": encode(text, vocab, merges, run_id)} for name, text in texts]
    out.append({"name": "single", "text": "<|endoftext|>", "input_ids": [0]})
    return out


SEQUENTIAL = OrderedDict(CONFIG)
SEQUENTIAL.update([("_name_or_path", "tiny-neox-sequential"), ("use_parallel_residual", False), ("rotary_pct", 1.0)])


def mistakes(model, translators, prs) -> None:
    """How far likely mistakes move the tuned lens's log-probs on the seed prompt (max |Δ log q|):
    each must be far above the tests' 1e-4, or the fixtures could not catch it."""
    ids = prs[0]["input_ids"]
    base = torch.log_softmax(ref.lens_logits(model, CONFIG, ref.gptneox_hidden_states(model, CONFIG, ids), translators), -1)
    variants = {
        "tanh GELU instead of erf": dict(act=ref.gelu_tanh),
        "no rotary embedding": dict(rotary=False),
        "GPT-2's [q|k|v] split instead of per head": dict(per_head_split=False),
        "sequential instead of parallel residual": dict(parallel=False),
    }
    for label, kw in variants.items():
        other = torch.log_softmax(ref.lens_logits(model, CONFIG, ref.gptneox_hidden_states(model, CONFIG, ids, **kw), translators), -1)
        print(f"  {label}: {float((other - base).abs().max()):.3g}")
    tied = dict(CONFIG, tie_word_embeddings=True)
    other = torch.log_softmax(ref.lens_logits(model, tied, ref.gptneox_hidden_states(model, CONFIG, ids), translators), -1)
    print(f"  embed_in as the head instead of embed_out: {float((other - base).abs().max()):.3g}")


def build(seed, prs):
    gen = torch.Generator().manual_seed(seed)
    model = make_model(gen)
    lens = make_translators(gen, L, D)
    tr = [{"weight": lin.weight.detach().clone(), "bias": lin.bias.detach().clone()} for lin in lens]
    model16 = OrderedDict((k, f16_round(v)) for k, v in model.items())
    tr16 = [{k: f16_round(v) for k, v in t.items()} for t in tr]
    results = []
    for params, config, translators, name, lens_name in (
            (model, CONFIG, tr, "tiny-neox", "tiny-neox-lens"),
            (model16, CONFIG, tr16, "tiny-neox-f16", "tiny-neox-lens (f16-rounded)"),
            (model, SEQUENTIAL, tr, "tiny-neox-sequential", "tiny-neox-lens")):
        exp, gap = expected_for(name, lens_name, seed, prs, sample_ids(), translators,
                                lambda ids: ref.gptneox_hidden_states(params, config, ids),
                                lambda hidden, tr: ref.lens_logits(params, config, hidden, tr))
        if gap < MIN_TOPK_GAP:
            return None, gap
        results.append(exp)
    return (model, lens, tr, results), None


def main() -> None:
    tokenizer, tok_config, vocab, merges, run_id = build_tokenizer()
    assert len(vocab) + 1 < V, "the model's vocabulary must be padded beyond the tokenizer's"
    prs = prompts(vocab, merges, run_id)
    seed = SEED_START
    while True:
        built, gap = build(seed, prs)
        if built is not None:
            break
        print(f"seed {seed}: a top-{TOPK + 1} gap of {gap:.3g} is too small", flush=True)
        seed += 1
    model, lens, tr, (exp32, exp16, exp_seq) = built
    print(f"seed {seed}; tokenizer: {len(vocab) + 1} tokens, model rows {V}; likely mistakes move log q by:")
    mistakes(model, tr, prs)

    folders = {"tiny-neox": (CONFIG, torch.float32, True), "tiny-neox-f16": (CONFIG, torch.float16, False),
               "tiny-neox-sequential": (SEQUENTIAL, torch.float32, False)}
    for name, (config, dtype, buffers) in folders.items():
        folder = FIX / name
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        cfg = OrderedDict(config)
        cfg["_name_or_path"] = name
        cfg["torch_dtype"] = "float16" if dtype == torch.float16 else "float32"
        write_json(folder / "config.json", cfg)
        write_safetensors(folder / "model.safetensors", hf_layout(model, dtype, buffers), metadata={"format": "pt"})
        (folder / "tokenizer.json").write_text(json.dumps(tokenizer, ensure_ascii=False, indent=2) + "\n")
        write_json(folder / "tokenizer_config.json", tok_config)

    lens_dir = FIX / "tiny-neox-lens"
    if lens_dir.exists():
        shutil.rmtree(lens_dir)
    lens_dir.mkdir()
    write_json(lens_dir / "config.json", OrderedDict([
        ("base_model_name_or_path", "tiny-neox"), ("d_model", D), ("num_hidden_layers", L), ("bias", True),
        ("base_model_revision", None), ("unembed_hash", "0d4f6e0c3b2a19087f6e5d4c3b2a1908f7e6d5c4b3a291807f6e5d4c3b2a190"),
        ("lens_type", "linear_tuned_lens")]))
    (lens_dir / "params.pt").write_bytes(torch_save_bytes(lens.state_dict()))

    ed = FIX / "expected"
    for name, obj in (("tiny-neox.json", exp32), ("tiny-neox-f16.json", exp16), ("tiny-neox-sequential.json", exp_seq)):
        (ed / name).write_text(json.dumps(obj, separators=(",", ":")) + "\n")
    write_json(ed / "tiny-neox-tokenizer.json",
               {"texts": [{"text": t, "input_ids": encode(t, vocab, merges, run_id)} for t in TOKENIZER_TEXTS]})
    print(f"wrote the GPT-NeoX fixtures under {FIX}")


if __name__ == "__main__":
    main()
