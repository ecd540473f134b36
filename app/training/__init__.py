"""Training in NumPy: the network around a cell's layers, the loop, `lstm-viz train`."""
