// The exact integer value of a JSON number literal, when it has one: `1.0`, `1e3` and `100e-2`
// are integers written another way, `0.5` is not. Decided on the decimal digits, never through a
// Double, so `9007199254740993.0` stays 9007199254740993.

enum IntegralLiteral {
    /// The value of `literal` (already valid per RFC 8259's number grammar, as JSONParser keeps
    /// it) if it is a whole number within Int64, else nil.
    static func int64(_ literal: String) -> Int64? {
        if let plain = Int64(literal) { return plain }
        var negative = false
        var digits: [UInt8] = []  // significant digits of the mantissa, integer and fraction
        var fractionCount = 0
        var exponent = 0
        var exponentNegative = false
        var part = Part.integer
        for byte in literal.utf8 {
            switch byte {
            case UInt8(ascii: "-") where part == .integer: negative = true
            case UInt8(ascii: "-"): exponentNegative = true
            case UInt8(ascii: "+"): break
            case UInt8(ascii: "."): part = .fraction
            case UInt8(ascii: "e"), UInt8(ascii: "E"): part = .exponent
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                let digit = byte - UInt8(ascii: "0")
                switch part {
                case .integer:
                    if !digits.isEmpty || digit != 0 { digits.append(digit) }
                case .fraction:
                    digits.append(digit)
                    fractionCount += 1
                case .exponent:
                    // Saturates far beyond any literal's length, where the verdict no longer
                    // changes (beyond Int64, or a fraction since the digits are not all zero).
                    exponent = exponent < exponentCap ? exponent * 10 + Int(digit) : exponentCap
                }
            default:
                return nil
            }
        }
        // value = digits × 10^scale
        let scale = (exponentNegative ? -exponent : exponent) - fractionCount
        while let first = digits.first, first == 0 { digits.removeFirst() }
        if digits.isEmpty { return 0 }
        if scale < 0 {
            let dropped = -scale
            guard dropped < digits.count, digits.suffix(dropped).allSatisfy({ $0 == 0 }) else { return nil }
            digits.removeLast(dropped)
        } else if scale > 0 {
            guard digits.count + scale <= 19 else { return nil }
            digits.append(contentsOf: repeatElement(0, count: scale))
        }
        // Accumulate toward the sign so that Int64.min fits.
        var value: Int64 = 0
        for digit in digits {
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (next, o2) = negative
                ? times10.subtractingReportingOverflow(Int64(digit))
                : times10.addingReportingOverflow(Int64(digit))
            guard !o1, !o2 else { return nil }
            value = next
        }
        return value
    }

    private enum Part { case integer, fraction, exponent }
    private static let exponentCap = 1 << 56
}
