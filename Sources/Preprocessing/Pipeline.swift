import Imaging

extension Preprocessor {
    /// Steps 2–6 on a grey image: the 28x28 un-normalized input and the ink's box in the
    /// image's coordinates. Throws `empty` when there is no ink.
    public static func prepare(_ grey: GreyImage) throws(ImagingError) -> (input: GreyImage, inkBox: PixelBox) {
        let (oriented, background) = normalizePolarity(grey)
        let clean = try suppressNoise(oriented, background: background)
        let (cropped, box) = try cropToInk(clean)
        return (centre(scaleToBox(cropped)), box)
    }
}
