#!/usr/bin/env bash
# GRPO and PPO from the SFT checkpoint with another seed (rollout sampling and row order).
set -euo pipefail
LOCOMO=${LOCOMO:-../shared/data/locomo/locomo10_trainval.json}  # the LoCoMo train/val file
OUT=${OUT:-runs/exp}
R=experiments/results/answer_agent
SEED=${SEED:-1}
RL="train.init_checkpoint=$OUT/sft/best train.max_steps=12 train.batch_size=2 \
  train.learning_rate=1.0e-4 train.eval_every=6 train.save_every=3 \
  train.num_threads=1 seed=$SEED"
for algo in ${ALGOS:-grpo ppo}; do
  extra="grpo.num_generations=4"
  [ "$algo" = ppo ] && extra="ppo.rollouts_per_prompt=4 ppo.ppo_epochs=2"
  [ -d "$OUT/$algo-s$SEED/final" ] || memenv train --preset cpu-smollm2 data.data_path=$LOCOMO train.micro_batch_size=2 algorithm=$algo \
    output_dir=$OUT/$algo-s$SEED $RL $extra --resume
  cp "$OUT/$algo-s$SEED/val_best.jsonl" "$R/${algo}_s${SEED}_val.jsonl"
done
