"""Multi-step RL on the tier-1 model (issue 15): episode collector, algorithms behind one
interface (PPO, GRPO, Dr.GRPO, RLOO, REINFORCE), SFT of the initial policy, and the trainer with
exact resume. See docs/rl.md."""
