#!/usr/bin/env bash
# GRPO and PPO from the SFT checkpoint (same rows, steps, batch and learning rate).
set -euo pipefail
LOCOMO=${LOCOMO:-../shared/data/locomo/locomo10_trainval.json}  # the LoCoMo train/val file
OUT=${OUT:-runs/exp}
R=experiments/results/answer_agent
SEED=${SEED:-0}
RL="train.init_checkpoint=$OUT/sft/best train.max_steps=12 train.batch_size=2 \
  train.learning_rate=1.0e-4 train.eval_every=6 train.save_every=3 \
  train.num_threads=1 seed=$SEED"
cp "$OUT/sft/val_last.jsonl" "$R/sft_val.jsonl"
[ -d "$OUT/grpo-s$SEED/final" ] || memenv train --preset cpu-smollm2 data.data_path=$LOCOMO train.micro_batch_size=2 algorithm=grpo \
  output_dir=$OUT/grpo-s$SEED $RL grpo.num_generations=4 --resume
cp "$OUT/grpo-s$SEED/val_best.jsonl" "$R/grpo_val.jsonl"
[ -d "$OUT/ppo-s$SEED/final" ] || memenv train --preset cpu-smollm2 data.data_path=$LOCOMO train.micro_batch_size=2 algorithm=ppo \
  output_dir=$OUT/ppo-s$SEED $RL ppo.rollouts_per_prompt=4 ppo.ppo_epochs=2 --resume
cp "$OUT/ppo-s$SEED/val_best.jsonl" "$R/ppo_val.jsonl"
