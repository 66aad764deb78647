#!/usr/bin/env bash
# GRPO from SFT for three times the budget of stage2.sh (36 steps, validation every 12), to see
# whether RL adds to the SFT warm-up once it has more samples. The table reports the final
# (step-36) checkpoint: the best one by validation F1 is step 12, the same as grpo-s0's.
set -euo pipefail
LOCOMO=${LOCOMO:-../shared/data/locomo/locomo10_trainval.json}  # the LoCoMo train/val file
OUT=${OUT:-runs/exp}
R=experiments/results/answer_agent
[ -d "$OUT/grpo-long/final" ] || memenv train --preset cpu-smollm2 data.data_path=$LOCOMO train.micro_batch_size=2 algorithm=grpo \
  output_dir=$OUT/grpo-long train.init_checkpoint=$OUT/sft/best train.max_steps=36 \
  train.batch_size=2 train.learning_rate=1.0e-4 train.eval_every=12 train.save_every=6 \
  train.num_threads=1 seed=0 grpo.num_generations=4 --resume
cp "$OUT/grpo-long/val_last.jsonl" "$R/grpo_long_val.jsonl"
[ -f "$R/grpo_long_synth.jsonl" ] || memenv train-eval --preset cpu-smollm2 data.data_path=$LOCOMO data.dataset=synth \
  data.max_val_rows=80 train.num_threads=1 --model "transformers:$OUT/grpo-long/final" \
  --out "$R/grpo_long_synth.jsonl" > /dev/null
