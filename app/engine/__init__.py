"""The engine: the recurrent cells (their registry, forward passes, step details, Jacobians, training
layers) and the tokenizer. Imports NumPy, the standard library and itself only."""
