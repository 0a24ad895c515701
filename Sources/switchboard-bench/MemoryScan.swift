// Thin wrappers over libc memchr/memcmp for the frame scanner (vectorised in glibc).
@preconcurrency import Glibc

func memchrPointer(_ p: UnsafeRawPointer, _ byte: UInt8, _ count: Int) -> UnsafeRawPointer? {
    guard count > 0 else { return nil }
    return UnsafeRawPointer(memchr(p, Int32(byte), count))
}

func memcmpEqual(_ a: UnsafeRawPointer?, _ b: UnsafeRawPointer?, count: Int) -> Bool {
    guard let a, let b else { return count == 0 }
    return memcmp(a, b, count) == 0
}
