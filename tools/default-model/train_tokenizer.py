#!/usr/bin/env python3
"""Train a GPT-2-style byte-level BPE on train.txt and write a Hugging Face tokenizer.json.

Scheme (exactly GPT-2's): the text of each document is split by GPT-2's pre-tokenizer regex, each
piece is UTF-8 encoded and its bytes mapped to printable characters by bytes_to_unicode(); the
alphabet is the 256 byte tokens (ids 0..255 in GPT-2's order); merges are learnt greedily (most
frequent adjacent pair, ties to the smallest (left id, right id)) until the vocabulary holds
vocab_size - 1 tokens; `<|endoftext|>` is the last id (vocab_size - 1).

Training counts each distinct pre-token once (with its frequency) and keeps pair counts up to date
incrementally (only the words containing the merged pair are touched; a lazy max-heap picks the next
pair), so 12 MB of text trains in about a minute.

Writes <out>/tokenizer.json and <out>/tokenizer_config.json.
"""
from __future__ import annotations

import argparse
import collections
import heapq
import json
import sys
import time
from pathlib import Path
from typing import Dict, List, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bpe import BYTE_TOKENS_IN_ID_ORDER, EOT, ByteLevelBPE, pretokenize, to_byte_chars  # noqa: E402

HERE = Path(__file__).resolve().parent
DOC_SEPARATOR = "\n<|endoftext|>\n"


def count_words(paths: List[Path]) -> collections.Counter:
    try:
        from bpe import pretokenize_regex as split  # faster where python3-regex is installed
        split("x")
    except ImportError:
        split = pretokenize
    counts: collections.Counter = collections.Counter()
    for path in paths:
        for doc in path.read_text(encoding="utf-8").split(DOC_SEPARATOR):
            counts.update(split(doc))
    return counts


def train(word_counts: collections.Counter, vocab_size: int, log_every: int = 500):
    tokens: List[str] = list(BYTE_TOKENS_IN_ID_ORDER)  # id -> string
    vocab: Dict[str, int] = {t: i for i, t in enumerate(tokens)}
    words: List[List[int]] = []
    freqs: List[int] = []
    for piece, c in word_counts.items():
        words.append([vocab[ch] for ch in to_byte_chars(piece)])
        freqs.append(c)

    pair_count: Dict[Tuple[int, int], int] = collections.defaultdict(int)
    where: Dict[Tuple[int, int], set] = collections.defaultdict(set)
    for wi, w in enumerate(words):
        f = freqs[wi]
        for p in zip(w, w[1:]):
            pair_count[p] += f
            where[p].add(wi)
    heap = [(-c, p) for p, c in pair_count.items()]
    heapq.heapify(heap)

    merges: List[Tuple[str, str]] = []
    target = vocab_size - 1  # the last id is <|endoftext|>
    t0 = time.time()
    while len(tokens) < target and heap:
        negc, pair = heapq.heappop(heap)
        c = pair_count.get(pair, 0)
        if c <= 0:
            continue
        if -negc != c:  # stale entry: re-push with the current count
            heapq.heappush(heap, (-c, pair))
            continue
        a, b = pair
        new_str = tokens[a] + tokens[b]
        new_id = vocab.get(new_str)
        if new_id is None:
            new_id = len(tokens)
            tokens.append(new_str)
            vocab[new_str] = new_id
        merges.append((tokens[a], tokens[b]))
        changed = set()
        for wi in list(where[pair]):
            w = words[wi]
            f = freqs[wi]
            # remove the old pairs of this word
            for p in zip(w, w[1:]):
                pair_count[p] -= f
                if pair_count[p] == 0:
                    del pair_count[p]
                where[p].discard(wi)
            nw, i = [], 0
            while i < len(w):
                if i + 1 < len(w) and w[i] == a and w[i + 1] == b:
                    nw.append(new_id)
                    i += 2
                else:
                    nw.append(w[i])
                    i += 1
            words[wi] = nw
            for p in zip(nw, nw[1:]):
                pair_count[p] += f
                where[p].add(wi)
                changed.add(p)
        where.pop(pair, None)
        pair_count.pop(pair, None)
        for p in changed:
            if p in pair_count:
                heapq.heappush(heap, (-pair_count[p], p))
        if len(merges) % log_every == 0:
            print(f"  merge {len(merges):5d}  vocab {len(tokens):5d}  count {c:7d}  "
                  f"{tokens[a]!r}+{tokens[b]!r}  {time.time() - t0:.1f}s", file=sys.stderr)
    return tokens, merges


def tokenizer_json(tokens: List[str], merges: List[Tuple[str, str]]) -> dict:
    """Same structure as scripts/build-tokenizer.ts writes for GPT-2."""
    vocab = {t: i for i, t in enumerate(tokens)}
    eot_id = len(tokens)
    vocab[EOT] = eot_id
    byte_level = {"add_prefix_space": False, "trim_offsets": True, "use_regex": True}
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [
            {"id": eot_id, "content": EOT, "single_word": False, "lstrip": False, "rstrip": False,
             "normalized": True, "special": True},
        ],
        "normalizer": None,
        "pre_tokenizer": {"type": "ByteLevel", **byte_level},
        "post_processor": {"type": "ByteLevel", **byte_level, "trim_offsets": False},
        "decoder": {"type": "ByteLevel", **byte_level},
        "model": {
            "type": "BPE",
            "dropout": None,
            "unk_token": None,
            "continuing_subword_prefix": "",
            "end_of_word_suffix": "",
            "fuse_unk": False,
            "byte_fallback": False,
            "vocab": vocab,
            "merges": [f"{a} {b}" for a, b in merges],
        },
    }


def tokenizer_config(max_length: int) -> dict:
    return {
        "tokenizer_class": "GPT2Tokenizer",
        "bos_token": EOT,
        "eos_token": EOT,
        "unk_token": EOT,
        "add_prefix_space": False,
        "model_max_length": max_length,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--train", default="/tmp/default-model/train.txt")
    ap.add_argument("--out", default=str(HERE / "tokenizer"))
    ap.add_argument("--vocab-size", type=int, default=4096)
    ap.add_argument("--model-max-length", type=int, default=256)
    args = ap.parse_args()

    t0 = time.time()
    counts = count_words([Path(args.train)])
    print(f"pre-tokenized: {sum(counts.values()):,} pieces, {len(counts):,} distinct "
          f"({time.time() - t0:.1f}s)", file=sys.stderr)
    t1 = time.time()
    tokens, merges = train(counts, args.vocab_size)
    print(f"trained: {len(tokens) + 1} tokens, {len(merges)} merges ({time.time() - t1:.1f}s)", file=sys.stderr)

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    tj = tokenizer_json(tokens, merges)
    (out / "tokenizer.json").write_text(json.dumps(tj, ensure_ascii=False))
    (out / "tokenizer_config.json").write_text(json.dumps(tokenizer_config(args.model_max_length), indent=2) + "\n")

    # sanity: the encoder over the written file reproduces the training segmentation's vocabulary
    enc = ByteLevelBPE.from_json(out / "tokenizer.json")
    sample = "And God said, Let there be light: and there was light."
    ids = enc.encode(sample)
    assert enc.decode(ids) == sample
    print(f"{sample!r} -> {len(ids)} tokens: {[enc.inv[i] for i in ids]}", file=sys.stderr)
    print(f"wrote {out / 'tokenizer.json'} ({(out / 'tokenizer.json').stat().st_size:,} bytes) and "
          f"tokenizer_config.json; total {time.time() - t0:.1f}s", file=sys.stderr)


if __name__ == "__main__":
    main()
