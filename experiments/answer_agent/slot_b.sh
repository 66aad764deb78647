#!/usr/bin/env bash
# GRPO from BASE, then the held-out synthetic evaluation, then the ablations.
set -uo pipefail
experiments/answer_agent/stage3.sh
experiments/answer_agent/heldout_synth.sh
experiments/answer_agent/ablations.sh
