"""GPT-2 byte-level BPE: the pre-tokenizer, the byte<->unicode map, and an encoder/decoder over a
Hugging Face ``tokenizer.json``. Pure Python (no ``regex``, no ``tokenizers``), so that it runs on a
machine that has only torch and numpy; ``pretokenize_regex`` (Debian's python3-regex) is the
reference the hand-written scanner is checked against.
"""
from __future__ import annotations

import json
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

EOT = "<|endoftext|>"
GPT2_PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""


def bytes_to_unicode() -> Dict[int, str]:
    """GPT-2's reversible byte -> printable unicode character map (openai/gpt-2 encoder.py)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("\u00a1"), ord("\u00ac") + 1)) + \
        list(range(ord("\u00ae"), ord("\u00ff") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


BYTE_ENCODER = bytes_to_unicode()
BYTE_DECODER = {c: b for b, c in BYTE_ENCODER.items()}
# GPT-2's id order for the 256 byte tokens: the order of bytes_to_unicode()'s list ('!' = 0, ...)
BYTE_TOKENS_IN_ID_ORDER = list(BYTE_ENCODER.values())


# --------------------------------------------------------------------------------------------
# Pre-tokenizer: a scanner equivalent to GPT2_PATTERN under the `regex` module's Unicode classes.
# \p{L} = general category L*, \p{N} = N*, \s = the Unicode White_Space property.
# --------------------------------------------------------------------------------------------
_WHITE_SPACE = set("\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007"
                   "\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")
_L, _N, _S, _O = 0, 1, 2, 3


@lru_cache(maxsize=65536)
def _cls(ch: str) -> int:
    if ch in _WHITE_SPACE:
        return _S
    cat = unicodedata.category(ch)
    if cat[0] == "L":
        return _L
    if cat[0] == "N":
        return _N
    return _O


_CONTRACTIONS = ("s", "t", "re", "ve", "m", "ll", "d")


def pretokenize(text: str) -> List[str]:
    """Split text exactly as GPT-2's regex does (leftmost alternative wins at each position)."""
    out: List[str] = []
    n = len(text)
    cls = [_cls(c) for c in text]
    i = 0
    while i < n:
        c = text[i]
        # 's|'t|'re|'ve|'m|'ll|'d
        if c == "'":
            hit = None
            for s in _CONTRACTIONS:
                if text.startswith(s, i + 1):
                    hit = s
                    break
            if hit is not None:
                out.append(text[i:i + 1 + len(hit)])
                i += 1 + len(hit)
                continue
        k = cls[i]
        j = i
        if c == " " and i + 1 < n and cls[i + 1] != _S:
            j = i + 1  # ' ?' then a run of the class of the next char
            k = cls[j]
        if k != _S:
            j += 1
            while j < n and cls[j] == k:
                j += 1
            out.append(text[i:j])
            i = j
            continue
        # whitespace run: \s+(?!\S) | \s+
        j = i + 1
        while j < n and cls[j] == _S:
            j += 1
        if j < n and j - 1 > i:
            j -= 1  # leave the last whitespace char to prefix the next word
        out.append(text[i:j])
        i = j
    return out


def pretokenize_regex(text: str) -> List[str]:
    import regex  # Debian python3-regex
    return regex.findall(GPT2_PATTERN, text)


def to_byte_chars(piece: str) -> str:
    return "".join(BYTE_ENCODER[b] for b in piece.encode("utf-8"))


# --------------------------------------------------------------------------------------------
# Encoder over tokenizer.json
# --------------------------------------------------------------------------------------------

class ByteLevelBPE:
    """Encodes like GPT-2 / Hugging Face's ByteLevel + BPE: pre-tokenize, map bytes to unicode
    characters, then repeatedly merge the adjacent pair of lowest merge rank."""

    def __init__(self, vocab: Dict[str, int], merges: Sequence[Tuple[str, str]], eot: str = EOT):
        self.vocab = dict(vocab)
        self.inv = {i: t for t, i in self.vocab.items()}
        self.ranks = {tuple(m): r for r, m in enumerate(merges)}
        self.eot = eot
        self.eot_id = self.vocab[eot]
        self._cache: Dict[str, List[int]] = {}

    @classmethod
    def from_json(cls, path: Path | str) -> "ByteLevelBPE":
        tj = json.loads(Path(path).read_text(encoding="utf-8"))
        merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in tj["model"]["merges"]]
        vocab = dict(tj["model"]["vocab"])
        for t in tj.get("added_tokens", []):
            vocab[t["content"]] = t["id"]
        return cls(vocab, merges)

    def bpe(self, word: str) -> List[int]:
        hit = self._cache.get(word)
        if hit is not None:
            return hit
        parts = list(word)
        ranks = self.ranks
        while len(parts) > 1:
            best, best_rank = None, None
            for a, b in zip(parts, parts[1:]):
                r = ranks.get((a, b))
                if r is not None and (best_rank is None or r < best_rank):
                    best, best_rank = (a, b), r
            if best is None:
                break
            a, b = best
            merged, i = [], 0
            while i < len(parts):
                if i + 1 < len(parts) and parts[i] == a and parts[i + 1] == b:
                    merged.append(a + b)
                    i += 2
                else:
                    merged.append(parts[i])
                    i += 1
            parts = merged
        ids = [self.vocab[p] for p in parts]
        if len(self._cache) < 500_000:
            self._cache[word] = ids
        return ids

    def encode(self, text: str) -> List[int]:
        """Plain text to ids (no special-token parsing: '<|endoftext|>' in text is text)."""
        ids: List[int] = []
        for piece in pretokenize(text):
            ids.extend(self.bpe(to_byte_chars(piece)))
        return ids

    def decode(self, ids: Sequence[int]) -> str:
        out, buf = [], bytearray()
        for i in ids:
            t = self.inv[int(i)]
            if t == self.eot:
                out.append(buf.decode("utf-8", errors="replace"))
                buf = bytearray()
                out.append(t)
            else:
                buf.extend(BYTE_DECODER[c] for c in t)
        out.append(buf.decode("utf-8", errors="replace"))
        return "".join(out)


if __name__ == "__main__":
    # `python3 bpe.py tokenizer.json < texts.json` -> JSON list of id lists (used by check_tokenizer.ts)
    import sys

    enc = ByteLevelBPE.from_json(sys.argv[1])
    texts = json.load(sys.stdin)
    json.dump([enc.encode(t) for t in texts], sys.stdout)
