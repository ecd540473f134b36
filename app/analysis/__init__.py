"""What a model learnt: evaluation, memory span, named units, retention."""
