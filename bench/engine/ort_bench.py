"""ONNX Runtime's side of the engine benchmark: the same measurements as
`ocr-bench engine` (batch-1 latency, batch-N throughput), one intra-op and
one inter-op thread, sequential execution, all graph optimizations.

Usage: python3 ort_bench.py MODEL.onnx FLOPS_PER_GLYPH [ITERATIONS] [BATCH] [BATCHES]
"""
import statistics
import sys
import time

import numpy as np
import onnxruntime as ort


def timed(session, name, x):
    start = time.perf_counter()
    session.run(None, {name: x})
    return time.perf_counter() - start


def main():
    path, flops = sys.argv[1], float(sys.argv[2])
    iterations = int(sys.argv[3]) if len(sys.argv) > 3 else 2000
    batch = int(sys.argv[4]) if len(sys.argv) > 4 else 64
    batches = int(sys.argv[5]) if len(sys.argv) > 5 else 100
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    rng = np.random.default_rng(0)
    one = rng.uniform(-0.4, 3, (1, 1, 28, 28)).astype(np.float32)
    many = rng.uniform(-0.4, 3, (batch, 1, 28, 28)).astype(np.float32)
    for _ in range(50):
        timed(session, name, one)
    single = sorted(timed(session, name, one) for _ in range(iterations))
    for _ in range(3):
        timed(session, name, many)
    batched = sorted(timed(session, name, many) for _ in range(batches))
    median1 = statistics.median(single)
    p99 = single[min(len(single) - 1, round((len(single) - 1) * 0.99))]
    median_batch = statistics.median(batched)
    print("engine=onnxruntime-" + ort.__version__)
    print(f"flops_per_glyph={int(flops)}")
    print(f"batch1_median_us={median1 * 1e6:.2f}")
    print(f"batch1_p99_us={p99 * 1e6:.2f}")
    print(f"batch1_gflops={flops / median1 / 1e9:.2f}")
    print(f"batch{batch}_median_ms={median_batch * 1e3:.2f}")
    print(f"batch{batch}_glyphs_per_s={batch / median_batch:.2f}")
    print(f"batch{batch}_gflops={flops * batch / median_batch / 1e9:.2f}")


if __name__ == "__main__":
    main()
