/// Recognition: turning normalized glyph tensors into answers.
///
/// Owns the inference worker pool (bounded queue, deadlines, dynamic
/// batching, backpressure, metrics) and the Recognizer facade that ties
/// imaging and preprocessing to it.
///
/// It must never see sockets or HTTP: overload and deadlines are reported as
/// typed errors that the service maps to statuses. It must never spawn a
/// thread per request: a fixed set of worker threads does all inference.
public enum RecognitionModule {}
