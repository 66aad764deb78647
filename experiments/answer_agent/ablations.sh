#!/usr/bin/env bash
# (1) Memory distillation off: SFT whose prompt and target skip the "Relevant: [ids]" line.
# (2) Both agents trained: the GRPO answer agent reading banks built by the GRPO-trained
#     manager (SmolLM2, trained on synthetic data) instead of add-all banks.
set -euo pipefail
LOCOMO=${LOCOMO:-../shared/data/locomo/locomo10_trainval.json}  # the LoCoMo train/val file
OUT=${OUT:-runs/exp}
R=experiments/results/answer_agent
[ -d "$OUT/sft-nodistill/final" ] || memenv train --preset cpu-smollm2 data.data_path=$LOCOMO train.micro_batch_size=2 algorithm=sft \
  output_dir=$OUT/sft-nodistill data.distillation=false train.max_steps=20 \
  train.learning_rate=3.0e-4 train.eval_every=0 train.save_every=5 train.num_threads=1 --resume
cp "$OUT/sft-nodistill/val_best.jsonl" "$R/sft_nodistill_val.jsonl"
[ -f "$R/grpo_both_val.jsonl" ] || memenv train-eval --preset cpu-smollm2 data.data_path=$LOCOMO train.num_threads=1 \
  data.bank_manager=llm:transformers:$OUT/manager-grpo/best \
  --model "transformers:$OUT/grpo-s0/best" --out "$R/grpo_both_val.jsonl" > /dev/null
python -m experiments.answer_agent.report
