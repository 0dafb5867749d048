/// # Preprocessing
///
/// Owns the path from a decoded image (or rendered strokes) to 28x28 network inputs:
/// desaturate → polarity → noise suppression → crop → scale to 20 px → centre of mass → (later)
/// normalize, implemented step by step after docs/preprocessing.md, plus the per-input-kind
/// entry points (`glyphs(fromImageBytes:…)`, `glyphs(fromStrokes:…)`) the service calls.
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
