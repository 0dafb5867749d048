import Imaging

extension Preprocessor {
    /// The bounding box of the pixels > 0, or nil when there are none.
    public static func inkBounds(_ image: GreyImage) -> PixelBox? {
        let width = image.width
        return image.pixels.withUnsafeBufferPointer { pixels -> PixelBox? in
            var box: PixelBox?
            for y in 0..<image.height {
                let row = y * width
                // Scan each row from both ends; the middle of a row never moves the box.
                guard let first = (0..<width).first(where: { pixels[row + $0] > 0 }) else { continue }
                var last = width - 1
                while pixels[row + last] <= 0 { last -= 1 }
                let line = PixelBox(minX: first, minY: y, maxX: last + 1, maxY: y + 1)
                box = box.map { $0.union(line) } ?? line
            }
            return box
        }
    }

    /// The pixels inside `box` (which must lie within the image).
    public static func crop(_ image: GreyImage, to box: PixelBox) -> GreyImage {
        var pixels: [Float] = []
        pixels.reserveCapacity(box.width * box.height)
        for y in box.minY..<box.maxY {
            let row = y * image.width
            pixels.append(contentsOf: image.pixels[(row + box.minX)..<(row + box.maxX)])
        }
        return GreyImage(width: box.width, height: box.height, pixels: pixels)
    }

    /// Step 4: crop to the ink. Returns the crop and its box in the input's coordinates.
    public static func cropToInk(_ image: GreyImage) throws(ImagingError) -> (image: GreyImage, box: PixelBox) {
        guard let box = inkBounds(image) else { throw .empty }
        return (crop(image, to: box), box)
    }
}
