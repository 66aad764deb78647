#!/usr/bin/env bash
# Memory Manager on synthetic dialogues (SmolLM2-135M + LoRA): BASE vs SFT on the generator's
# ideal operations vs GRPO and PPO from SFT. Reward: the frozen extractive answerer's EM on the
# questions linked to the fact, after applying the operation to the banks before it.
set -euo pipefail
LOCOMO=${LOCOMO:-../shared/data/locomo/locomo10_trainval.json}  # the LoCoMo train/val file
OUT=${OUT:-runs/exp}
R=experiments/results/manager
mkdir -p "$R"
COMMON="data.agent=manager data.dataset=synth reward.metric=em sft.teacher=ideal \
  train.max_new_tokens=64 train.num_threads=1"
[ -f "$R/base_val.json" ] || memenv train-eval --preset cpu-smollm2 data.data_path=$LOCOMO $COMMON --model smollm2 \
  --out "$R/base_val.jsonl" > "$R/base_val.json"
[ -d "$OUT/manager-sft/final" ] || memenv train --preset cpu-smollm2 data.data_path=$LOCOMO train.micro_batch_size=2 algorithm=sft \
  output_dir=$OUT/manager-sft $COMMON train.max_steps=24 train.learning_rate=3.0e-4 \
  train.eval_every=0 train.save_every=8 --resume
cp "$OUT/manager-sft/val_last.jsonl" "$R/sft_val.jsonl"
# GRPO and PPO from the SFT checkpoint: same rows, steps, batch and learning rate.
RL="$COMMON train.init_checkpoint=$OUT/manager-sft/best train.max_steps=10 train.batch_size=2 \
  train.micro_batch_size=4 train.learning_rate=1.0e-4 train.eval_every=0 train.save_every=5"
[ -d "$OUT/manager-grpo/final" ] || memenv train --preset cpu-smollm2 data.data_path=$LOCOMO algorithm=grpo \
  output_dir=$OUT/manager-grpo $RL grpo.num_generations=4 --resume
cp "$OUT/manager-grpo/val_last.jsonl" "$R/grpo_val.jsonl"
[ -d "$OUT/manager-ppo/final" ] || memenv train --preset cpu-smollm2 data.data_path=$LOCOMO algorithm=ppo \
  output_dir=$OUT/manager-ppo $RL ppo.rollouts_per_prompt=4 ppo.ppo_epochs=2 --resume
cp "$OUT/manager-ppo/val_last.jsonl" "$R/ppo_val.jsonl"
