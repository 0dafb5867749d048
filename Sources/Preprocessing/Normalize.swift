extension Preprocessor {
    /// Step 7: `(x − mean) / std` with the model manifest's statistics (passed in as numbers so
    /// this module never depends on the engine).
    public static func normalize(_ pixels: [Float], mean: Float, std: Float) -> [Float] {
        pixels.map { ($0 - mean) / std }
    }
}
