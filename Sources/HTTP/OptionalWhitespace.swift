// HTTP's optional whitespace (spaces and tabs, RFC 9110 §5.6.3) trimmed from both ends: header
// values, bearer tokens and comma-separated settings all need the same rule.
extension StringProtocol {
    package func trimmingOptionalWhitespace() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return String(s)
    }
}
