"""The autotuner: Optuna studies over a variant's static config space."""
