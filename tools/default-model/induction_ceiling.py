"""How much of the induction measurement copying can win, with this tokenizer: for random strings of 16-32
printable characters typed twice ("s s"), the share of the second copy's predictable tokens (every token after
its first) that three rules predict from the tokens alone:

- last: the token that followed the most recent earlier occurrence of the current token;
- longest: the token that followed the earlier position matching the most tokens before (the best a copier can do);
- any: some earlier occurrence of the current token was followed by the right token (the ceiling).

    /usr/bin/python3 tools/default-model/induction_ceiling.py [--strings 400] [--seed 3]
"""
import argparse
import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bpe import ByteLevelBPE  # noqa: E402

PRINTABLE = "".join(chr(c) for c in range(0x21, 0x7F))


def matched_length(ids: list[int], q: int, p: int) -> int:
    n = 0
    while q - n >= 0 and ids[q - n] == ids[p - n]:
        n += 1
    return n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--strings", type=int, default=400)
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--tokenizer", default=str(HERE.parents[1] / "public/models/pd-gpt2-6l/tokenizer.json"))
    args = ap.parse_args()
    enc = ByteLevelBPE.from_json(args.tokenizer)
    rng = random.Random(args.seed)
    total = last = longest = anywhere = 0
    for _ in range(args.strings):
        s = "".join(rng.choice(PRINTABLE) for _ in range(rng.randint(16, 32)))
        first, ids = enc.encode(s), enc.encode(s + " " + s)
        for p in range(len(first), len(ids) - 1):
            total += 1
            earlier = [q for q in range(p) if ids[q] == ids[p]]
            last += bool(earlier) and ids[earlier[-1] + 1] == ids[p + 1]
            anywhere += any(ids[q + 1] == ids[p + 1] for q in earlier)
            if earlier:
                best = max(earlier, key=lambda q: (matched_length(ids, q, p), q))
                longest += ids[best + 1] == ids[p + 1]
    print(f"{args.strings} strings, {total} predictable tokens: last {last / total:.3f}, "
          f"longest {longest / total:.3f}, any {anywhere / total:.3f}")


if __name__ == "__main__":
    main()
