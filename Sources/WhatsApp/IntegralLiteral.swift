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
        // value = significant × 10^scale. Slicing, not removing digits one by one, keeps a
        // hostile literal with a million zeros linear.
        let scale = (exponentNegative ? -exponent : exponent) - fractionCount
        guard let firstNonZero = digits.firstIndex(where: { $0 != 0 }) else { return 0 }
        var significant = digits[firstNonZero...]
        if scale < 0 {
            let dropped = -scale
            guard dropped < significant.count, significant.suffix(dropped).allSatisfy({ $0 == 0 }) else { return nil }
            significant = significant.dropLast(dropped)
        }
        guard significant.count + max(scale, 0) <= 19 else { return nil }
        // Accumulate toward the sign so that Int64.min fits.
        var value: Int64 = 0
        func push(_ digit: UInt8) -> Bool {
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (next, o2) = negative
                ? times10.subtractingReportingOverflow(Int64(digit))
                : times10.addingReportingOverflow(Int64(digit))
            value = next
            return !o1 && !o2
        }
        for digit in significant {
            guard push(digit) else { return nil }
        }
        for _ in 0..<max(scale, 0) {
            guard push(0) else { return nil }
        }
        return value
    }

    private enum Part { case integer, fraction, exponent }
    private static let exponentCap = 1 << 56
}
