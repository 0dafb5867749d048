/// NeuralNetwork: the CNN engine.
///
/// Owns the model file formats (safetensors weights + JSON manifest), their
/// validation, the compiled layer plan (BatchNorm folded, ReLU fused) and the
/// kernels that run it on batches of tensors.
///
/// It must never see HTTP, images, queues or threads: it takes normalized
/// float tensors and returns logits. Concurrency is the caller's business;
/// a `Model` is immutable and shared, an `InferenceSession` belongs to one
/// thread at a time and owns all the scratch memory an inference needs.
public enum NeuralNetworkModule {}
