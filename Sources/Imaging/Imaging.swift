/// # Imaging
///
/// Owns the pixels before they become a network input: decoding PNG and JPEG bytes through
/// the system libraries (via the `CPNGShim` / `CJPEGShim` C targets), the PNG encoder used
/// for debug previews, the stroke rasteriser, and the geometry of glyph segmentation
/// (connected components, merging, stroke grouping).
///
/// It must never trust a declared content type, allocate pixels before the header passed
/// `DecodeLimits`, let a C library jump through Swift frames or write to stderr, or know
/// anything about HTTP, models or normalization. The contract it shares with the training
/// code is `docs/preprocessing.md`.
public enum Imaging {}
