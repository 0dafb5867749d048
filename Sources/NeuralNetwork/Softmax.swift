import Foundation

/// Softmax over one glyph's logits. The maximum is subtracted first so that
/// large logits cannot overflow `exp`; the result sums to 1 within rounding.
public func softmax<C: Collection>(_ logits: C) -> [Float] where C.Element == Float {
    guard let largest = logits.max() else { return [] }
    let exponentials = logits.map { Float(exp(Double($0 - largest))) }
    let sum = exponentials.reduce(0, +)
    return exponentials.map { $0 / sum }
}
