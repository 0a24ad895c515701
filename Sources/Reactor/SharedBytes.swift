// Immutable bytes with a stable address, shared by reference: one encoded frame is queued to
// every subscriber without copying, and writev can point at it while it sits in a queue.

public final class SharedBytes: @unchecked Sendable {
    // Immutable after init, so sharing across threads is safe.
    public let pointer: UnsafeRawBufferPointer
    public var count: Int { pointer.count }

    public init(_ bytes: [UInt8]) {
        let p = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 16)
        bytes.withUnsafeBytes { src in
            if src.count > 0 { p.baseAddress!.copyMemory(from: src.baseAddress!, byteCount: src.count) }
        }
        pointer = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(p)[0..<bytes.count])
    }

    public convenience init(_ string: String) { self.init(Array(string.utf8)) }

    deinit {
        UnsafeMutableRawPointer(mutating: pointer.baseAddress)?.deallocate()
    }

    public var bytes: [UInt8] { Array(pointer) }
}
