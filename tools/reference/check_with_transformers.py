"""Cross-checks the committed fixtures against Hugging Face transformers' own model classes.

Runs where `transformers` is installed (not on our CI machines): loads tests/fixtures/<fixture> with
AutoModelForCausalLM.from_pretrained (GPT2LMHeadModel for tiny-gpt2, GPTNeoXForCausalLM for tiny-neox) —
which also proves the folder is a valid HF checkpoint — runs every fixture prompt with
output_hidden_states=True, and compares with tests/fixtures/expected/<fixture>.json: hidden_states[0..L-1]
against our residual rows, hidden_states[L] (HF applies the final LayerNorm there) against the final
LayerNorm of our row L, and log_softmax(logits) against the output row's top-k log-probs. A fixture with
its own tokenizer.json (tiny-neox) also has its tokenizer's ids checked against expected/<fixture>-tokenizer.json.

    python3 tools/reference/check_with_transformers.py [--fixture tiny-gpt2|tiny-neox|…] [--out result.json]
"""
import argparse
import json
import pathlib
import sys

import torch
import transformers
from transformers import AutoModelForCausalLM, AutoTokenizer

ROOT = pathlib.Path(__file__).resolve().parents[2]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--fixture", default="tiny-gpt2")
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    folder = ROOT / "tests/fixtures" / args.fixture
    model = AutoModelForCausalLM.from_pretrained(folder, torch_dtype=torch.float64).eval()
    expected = json.loads((ROOT / f"tests/fixtures/expected/{args.fixture}.json").read_text())
    # The final LayerNorm that HF applies to hidden_states[L], by model_type.
    final_norm = {"gpt2": lambda m: m.transformer.ln_f, "gpt_neox": lambda m: m.gpt_neox.final_layer_norm}[model.config.model_type](model)
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
        with torch.no_grad():
            final = final_norm(ours[L])
        worst["final_hidden_after_ln_f"] = max(worst["final_hidden_after_ln_f"], (hs[L][0] - final).abs().max().item())
        logp = torch.log_softmax(out.logits[0], dim=-1)
        lens = prompt["lenses"]["logit"]
        for t, (ids_t, lp_t) in enumerate(zip(lens["topk_ids"][L], lens["topk_logprobs"][L])):
            theirs = logp[t, torch.tensor(ids_t)]
            worst["output_topk_logprobs"] = max(worst["output_topk_logprobs"], (theirs - torch.tensor(lp_t, dtype=torch.float64)).abs().max().item())
            top1_agree &= int(logp[t].argmax()) == lens["top1_ids"][L][t]
    tokenizer_agrees = None
    if (folder / "tokenizer.json").exists():
        tokenizer = AutoTokenizer.from_pretrained(folder)
        texts = json.loads((ROOT / f"tests/fixtures/expected/{args.fixture}-tokenizer.json").read_text())["texts"]
        tokenizer_agrees = all(tokenizer.encode(t["text"], add_special_tokens=False) == t["input_ids"] for t in texts)
    result = {
        "fixture": args.fixture,
        "transformers": transformers.__version__,
        "torch": torch.__version__,
        "prompts": [p["name"] for p in expected["prompts"]],
        "max_abs_difference": worst,
        "output_top1_agrees": top1_agree,
        "tokenizer_ids_agree": tokenizer_agrees,
    }
    print(json.dumps(result, indent=2))
    if args.out:
        pathlib.Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    ok = top1_agree and tokenizer_agrees is not False and all(v < 1e-4 for v in worst.values())
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
