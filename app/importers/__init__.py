"""Import other frameworks' LSTMs and GRUs (and PyTorch's vanilla RNNs) into the app's model format
(`lstm-viz import pytorch|keras`).

One job per module: vocab.py reads vocabularies, tensor_files.py reads tensor files without pickle,
pytorch.py finds an nn.LSTM, nn.GRU or nn.RNN in a state_dict, keras_files.py walks Keras's HDF5 layouts,
keras.py picks the layers out of them, layout.py converts Keras and CuDNN weights to PyTorch's layout,
write.py writes the model with its card, and limits.py holds the caps on what one file may make the importer
read, with the bounded readers that keep to them. cli.py is the command. Nothing is imported here.
"""
