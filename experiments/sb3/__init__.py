"""stable-baselines3 training and reference scores on the featurized memenv environments."""
