import Imaging
import Testing

/// The error a body throws, or nil if it returned (anything but an ImagingError fails).
func caught<T>(_ body: () throws -> T) -> ImagingError? {
    do {
        _ = try body()
        return nil
    } catch let error as ImagingError {
        return error
    } catch {
        Issue.record("unexpected error type: \(error)")
        return nil
    }
}

func grey(_ width: Int, _ height: Int, _ pixels: [Float]) -> GreyImage {
    GreyImage(width: width, height: height, pixels: pixels)
}

/// Paper of shade `paper` with rectangles of shade `ink` (values in [0, 1]).
func page(width: Int, height: Int, paper: Float, ink: Float, boxes: [PixelBox]) -> GreyImage {
    var image = GreyImage(width: width, height: height, filledWith: paper)
    for box in boxes {
        for y in box.minY..<box.maxY { for x in box.minX..<box.maxX { image[x, y] = ink } }
    }
    return image
}

/// How many of `image`'s non-zero pixels lie inside `box`, and how many outside it.
func inkCount(_ image: GreyImage, inside box: PixelBox) -> (inside: Int, outside: Int) {
    var inside = 0, outside = 0
    for y in 0..<image.height {
        for x in 0..<image.width where image[x, y] > 0 {
            if x >= box.minX && x < box.maxX && y >= box.minY && y < box.maxY { inside += 1 } else { outside += 1 }
        }
    }
    return (inside, outside)
}

/// Whether every side of `box` lies within `margin` pixels outside `target`'s.
func isBox(_ box: PixelBox, within margin: Int, of target: PixelBox) -> Bool {
    box.minX >= target.minX - margin && box.maxX <= target.maxX + margin
        && box.minY >= target.minY - margin && box.maxY <= target.maxY + margin
}

/// A thick ring ("0") centred at (cx, cy) drawn into an 8-bit grey page.
func drawRing(_ pixels: inout [UInt8], width: Int, cx: Double, cy: Double, radius: Double, thickness: Double, ink: UInt8) {
    let height = pixels.count / width
    for y in 0..<height {
        for x in 0..<width {
            let dx = Double(x) + 0.5 - cx, dy = Double(y) + 0.5 - cy
            let d = (dx * dx + dy * dy * 0.5).squareRoot()
            if abs(d - radius) < thickness / 2 { pixels[y * width + x] = ink }
        }
    }
}

func decoded(grey pixels: [UInt8], width: Int) throws -> DecodedImage {
    try #require(DecodedImage(width: width, height: pixels.count / width, layout: .grey, samples: .eight(pixels)))
}

/// Writes `image` as an 8-bit grey PNG and decodes it again (the real path bytes take).
func pngBytes(grey pixels: [UInt8], width: Int) throws -> [UInt8] {
    try PNGEncoder.encode(samples: pixels, width: width, height: pixels.count / width, colorType: .grey)
}

