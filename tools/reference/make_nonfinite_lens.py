"""
A lens that PyTorch saves without complaint but that must never load: tests/fixtures/lenses/current
with translator 1's weight at [2, 5] set to NaN, saved with torch.save to a path as the tuned-lens
library does. The page and the CLI refuse it naming '1.weight' and [2, 5].

    /usr/bin/python3 tools/reference/make_nonfinite_lens.py
"""
import math
import shutil
from pathlib import Path

import torch

LENSES = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "lenses"


def main() -> None:
    state = torch.load(LENSES / "current" / "params.pt")
    state["1.weight"][2, 5] = math.nan
    out = LENSES / "nonfinite"
    out.mkdir(exist_ok=True)
    shutil.copy(LENSES / "current" / "config.json", out / "config.json")
    torch.save(state, str(out / "params.pt"))
    print(f"wrote {out} (1.weight[2, 5] = NaN, torch {torch.__version__})")


if __name__ == "__main__":
    main()
