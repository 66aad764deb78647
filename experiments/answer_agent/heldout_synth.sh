#!/usr/bin/env bash
# The LoCoMo-trained answer agents on held-out synthetic conversations (never trained on).
set -euo pipefail
LOCOMO=${LOCOMO:-../shared/data/locomo/locomo10_trainval.json}  # the LoCoMo train/val file
OUT=${OUT:-runs/exp}
R=experiments/results/answer_agent
EVAL="--preset cpu-smollm2 data.data_path=$LOCOMO data.dataset=synth data.max_val_rows=80 train.num_threads=1"
for m in base:smollm2 sft:transformers:$OUT/sft/best grpo:transformers:$OUT/grpo-s0/best \
         ppo:transformers:$OUT/ppo-s0/best grpo_base:transformers:$OUT/grpo-base/best \
         grpo_s1:transformers:$OUT/grpo-s1/best ppo_s1:transformers:$OUT/ppo-s1/best; do
  name=${m%%:*}; model=${m#*:}
  [ -f "$R/${name}_synth.jsonl" ] || memenv train-eval $EVAL --model "$model" \
    --out "$R/${name}_synth.jsonl" > /dev/null
done
[ -f "$R/sft_nodistill_synth.jsonl" ] || memenv train-eval $EVAL data.distillation=false \
  --model "transformers:$OUT/sft-nodistill/best" --out "$R/sft_nodistill_synth.jsonl" > /dev/null
python -m experiments.answer_agent.report --split synth
