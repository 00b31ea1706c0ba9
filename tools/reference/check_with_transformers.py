"""Cross-checks the committed fixtures against Hugging Face transformers' own GPT2LMHeadModel.

Runs where `transformers` is installed (not on our CI machines): loads tests/fixtures/tiny-gpt2 with
GPT2LMHeadModel.from_pretrained — which also proves the folder is a valid HF checkpoint — runs every
fixture prompt with output_hidden_states=True, and compares with tests/fixtures/expected/tiny-gpt2.json:
hidden_states[0..L-1] against our residual rows, hidden_states[L] (HF applies ln_f there) against
ln_f(our row L), and log_softmax(logits) against the output row's top-k log-probs.

    python3 tools/reference/check_with_transformers.py [--out result.json]
"""
import argparse
import json
import pathlib
import sys

import torch
import transformers
from transformers import GPT2LMHeadModel

ROOT = pathlib.Path(__file__).resolve().parents[2]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    model = GPT2LMHeadModel.from_pretrained(ROOT / "tests/fixtures/tiny-gpt2", torch_dtype=torch.float64).eval()
    expected = json.loads((ROOT / "tests/fixtures/expected/tiny-gpt2.json").read_text())
    worst = {"hidden_states": 0.0, "final_hidden_after_ln_f": 0.0, "output_topk_logprobs": 0.0}
    top1_agree = True
    for prompt in expected["prompts"]:
        ids = torch.tensor([prompt["input_ids"]])
        with torch.no_grad():
            out = model(ids, output_hidden_states=True)
        shape = prompt["residual_stream"]["shape"]
        ours = torch.tensor(prompt["residual_stream"]["data"], dtype=torch.float64).reshape(shape)
        L = shape[0] - 1
        hs = out.hidden_states
        for i in range(L):
            worst["hidden_states"] = max(worst["hidden_states"], (hs[i][0] - ours[i]).abs().max().item())
        ln_f = model.transformer.ln_f
        with torch.no_grad():
            final = ln_f(ours[L])
        worst["final_hidden_after_ln_f"] = max(worst["final_hidden_after_ln_f"], (hs[L][0] - final).abs().max().item())
        logp = torch.log_softmax(out.logits[0], dim=-1)
        lens = prompt["lenses"]["logit"]
        for t, (ids_t, lp_t) in enumerate(zip(lens["topk_ids"][L], lens["topk_logprobs"][L])):
            theirs = logp[t, torch.tensor(ids_t)]
            worst["output_topk_logprobs"] = max(worst["output_topk_logprobs"], (theirs - torch.tensor(lp_t, dtype=torch.float64)).abs().max().item())
            top1_agree &= int(logp[t].argmax()) == lens["top1_ids"][L][t]
    result = {
        "transformers": transformers.__version__,
        "torch": torch.__version__,
        "prompts": [p["name"] for p in expected["prompts"]],
        "max_abs_difference": worst,
        "output_top1_agrees": top1_agree,
    }
    print(json.dumps(result, indent=2))
    if args.out:
        pathlib.Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    ok = top1_agree and all(v < 1e-4 for v in worst.values())
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
