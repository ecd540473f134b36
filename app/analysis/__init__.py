"""What a model learnt: evaluation on held-out text, memory span, named units; `lstm-viz eval`."""
