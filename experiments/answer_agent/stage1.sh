#!/usr/bin/env bash
# BASE (untrained SmolLM2) and SFT (format warm-up on gold answers) for the Answer Agent.
set -euo pipefail
LOCOMO=${LOCOMO:-../shared/data/locomo/locomo10_trainval.json}  # the LoCoMo train/val file
OUT=${OUT:-runs/exp}
R=experiments/results/answer_agent
mkdir -p "$R"
[ -f "$R/base_val.json" ] || memenv train-eval --preset cpu-smollm2 data.data_path=$LOCOMO --model smollm2 \
  --out "$R/base_val.jsonl" > "$R/base_val.json"
[ -d "$OUT/sft/final" ] || memenv train --preset cpu-smollm2 data.data_path=$LOCOMO train.micro_batch_size=2 algorithm=sft output_dir=$OUT/sft \
  train.max_steps=20 train.learning_rate=3.0e-4 train.eval_every=0 train.save_every=5 \
  train.num_threads=1 --resume
