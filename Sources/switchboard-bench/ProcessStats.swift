// What the bench reads about processes: a server's CPU time and RSS from /proc, its own CPU
// from getrusage, and the descriptor limit it raises before opening thousands of sockets.
@preconcurrency import Glibc

enum ProcessStats {
    /// utime + stime of `pid` in seconds, from /proc/<pid>/stat; nil if unreadable.
    static func cpuSeconds(pid: Int32) -> Double? {
        guard let text = readSmallFile("/proc/\(pid)/stat") else { return nil }
        return cpuSeconds(statLine: text, ticksPerSecond: Double(sysconf(Int32(_SC_CLK_TCK))))
    }

    /// Parses a /proc/<pid>/stat line. Fields are counted after the last ')' because the
    /// command name (field 2) may contain spaces; utime and stime are fields 14 and 15.
    static func cpuSeconds(statLine: String, ticksPerSecond: Double) -> Double? {
        guard let close = statLine.lastIndex(of: ")"), ticksPerSecond > 0 else { return nil }
        let fields = statLine[statLine.index(after: close)...].split(separator: " ")
        // fields[0] is field 3 (state), so field k is fields[k - 3].
        guard fields.count > 12, let utime = Double(fields[11]), let stime = Double(fields[12]) else { return nil }
        return (utime + stime) / ticksPerSecond
    }

    /// VmRSS of `pid` in bytes, from /proc/<pid>/status; nil if unreadable.
    static func rssBytes(pid: Int32) -> Int? {
        guard let text = readSmallFile("/proc/\(pid)/status") else { return nil }
        return rssBytes(statusText: text)
    }

    static func rssBytes(statusText: String) -> Int? {
        for line in statusText.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            guard parts.count >= 2, let kb = Int(parts[1]) else { return nil }
            let (bytes, overflow) = kb.multipliedReportingOverflow(by: 1024)
            return overflow ? nil : bytes
        }
        return nil
    }

    /// This process's user + system CPU seconds (all threads).
    static func ownCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1_000_000 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    /// Raises the soft RLIMIT_NOFILE to the hard limit; returns the new soft limit.
    @discardableResult
    static func raiseDescriptorLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1024 }
        if limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max
            _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
            _ = getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        }
        return Int(clamping: limit.rlim_cur)
    }

    private static func readSmallFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 4096)
        while out.count < 1 << 20 {
            let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            out.append(contentsOf: buf[0..<n])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
