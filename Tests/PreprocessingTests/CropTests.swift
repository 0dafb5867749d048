import Imaging
import Testing
@testable import Preprocessing

@Suite struct CropTests {
    @Test func cropsToTheInkBox() throws {
        var image = GreyImage(width: 6, height: 5)
        image[1, 3] = 0.5
        image[4, 1] = 1
        let (out, box) = try Preprocessor.cropToInk(image)
        #expect(box == PixelBox(minX: 1, minY: 1, maxX: 5, maxY: 4))
        #expect(out.width == 4 && out.height == 3)
        #expect(out[0, 2] == 0.5 && out[3, 0] == 1)
        #expect(out.pixels.filter { $0 > 0 }.count == 2)
    }

    @Test func noInkIsEmpty() {
        #expect(caught { try Preprocessor.cropToInk(GreyImage(width: 4, height: 4)) } == .empty)
        #expect(Preprocessor.inkBounds(GreyImage(width: 4, height: 4)) == nil)
    }
}
