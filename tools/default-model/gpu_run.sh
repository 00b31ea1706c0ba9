#!/usr/bin/env bash
# One prepared device run (see README.md "Training on the GPU machine"): train, verify against the
# float64 reference and against Hugging Face transformers/tokenizers, and put the checkpoint in $OUT
# (model.safetensors split into parts < 16 MiB, the most one file may be to come back).
#
#   run(command="bash tools/default-model/gpu_run.sh", carry=["tools/default-model/data"], timeout_s=540)
#
# Knobs (environment): DATA (tools/default-model/data/tokens.npy) DEVICE (cuda) AMP (bf16) STEPS (6000) BATCH (64) MINUTES (5, a wall-clock guard) ARGS (extra flags for
# train_model.py, e.g. "--n-layer 6 --n-embd 224 --n-head 4").
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-/tmp/default-model-out}
mkdir -p "$OUT"
CKPT=/tmp/default-model-ckpt
DATA=${DATA:-tools/default-model/data/tokens.npy}
export PYTHONUNBUFFERED=1
{
  nvidia-smi --query-gpu=name,memory.total --format=csv,noheader || true
  python3 -c "import torch, numpy; print('torch', torch.__version__, 'numpy', numpy.__version__)"
  sha256sum "$DATA"
  python3 tools/default-model/train_model.py --data "$DATA" --out "$CKPT" \
    --device "${DEVICE:-cuda}" --amp "${AMP:-bf16}" --batch-size "${BATCH:-64}" --steps "${STEPS:-6000}" --minutes "${MINUTES:-5}" \
    --lr 2e-3 --warmup 200 --dropout 0.1 --eval-every 250 --eval-tokens 0 --keep-best ${ARGS:-}
  rc=$?
  echo "train_model rc=$rc"
  if [ $rc -eq 0 ]; then
    python3 tools/default-model/verify_checkpoint.py "$CKPT"
    python3 tools/default-model/verify_hf.py "$CKPT" "$DATA"
    sha256sum "$CKPT/model.safetensors"
  fi
} 2>&1 | tee "$OUT/gpu-run.log"
if [ -f "$CKPT/model.safetensors" ]; then
  cp "$CKPT/config.json" "$CKPT/tokenizer.json" "$CKPT/tokenizer_config.json" "$CKPT/training_log.json" "$OUT/"
  split -b 15m -d "$CKPT/model.safetensors" "$OUT/model.safetensors.part-"
  ls -la "$OUT"
fi
