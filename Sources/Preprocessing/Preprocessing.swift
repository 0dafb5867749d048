/// # Preprocessing
///
/// Owns the path from a decoded image (or rendered strokes) to 28x28 network inputs: the
/// recipe of docs/preprocessing.md, which defines each step (1 desaturate, 2 polarity, 2b level
/// the paper, 3 noise suppression, 4 crop, 5 scale to 20 px, 6 centre of mass into 28x28,
/// 7 normalize with the manifest's mean/std), implemented one step per file and, for steps
/// 2–4, fused in `Preprocessor.prepare`; plus the entry points in Glyphs.swift that the
/// Recognizer calls (`glyphs(from:mode:)`, `glyphs(fromStrokes:…)`; `glyphs(fromImageBytes:…)`
/// decodes too). Steps 1–6 run there; step 7 (`PreparedGlyph.normalized`) is left to the
/// Recognizer, which holds the model's statistics.
///
/// Every step is a pure function, value in, value out. This module must never depend on the
/// network engine (mean/std arrive as plain numbers), never see HTTP, and never change the
/// recipe without changing the document and the training code with it.
public enum Preprocessor {
    /// Side of the square the scaled glyph must fit (MNIST's 20 px box).
    public static let boxSide = 20
    /// Side of the network input.
    public static let inputSide = 28
}
