// NeuralNetwork module; see docs/ARCHITECTURE.md.
