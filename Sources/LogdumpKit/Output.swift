#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where logdump writes: a file descriptor through a large buffer, or memory (tests, goldens).
///
/// Appending is done into raw memory with no per-line allocation: `dump` formats millions of
/// lines per second through it.
public final class Output {
    private var buffer: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    private var count = 0
    private let fd: Int32?
    private var captured: [UInt8] = []
    /// Set when a write to the descriptor failed (e.g. a closed pipe); later writes are dropped.
    public private(set) var failed = false

    /// Writes to a file descriptor (1 for stdout, 2 for stderr).
    public init(fd: Int32, capacity: Int = 1 << 18) {
        self.fd = fd
        self.capacity = capacity
        self.buffer = .allocate(capacity: capacity)
    }

    /// Collects everything written; read it back with `text`.
    public init() {
        self.fd = nil
        self.capacity = 1 << 16
        self.buffer = .allocate(capacity: capacity)
    }

    deinit {
        flush()
        buffer.deallocate()
    }

    /// Everything written so far (memory outputs).
    public var text: String {
        flush()
        return String(decoding: captured, as: UTF8.self)
    }

    var capturedBytes: [UInt8] { captured }
    func clearCapture() { captured.removeAll(keepingCapacity: true) }

    /// Hands the buffered bytes to the descriptor (or the capture).
    public func flush() {
        guard count > 0 else { return }
        if let fd {
            var done = 0
            while done < count && !failed {
                let n = Glibc.write(fd, buffer + done, count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    failed = true
                } else {
                    done += n
                }
            }
        } else {
            captured.append(contentsOf: UnsafeBufferPointer(start: buffer, count: count))
        }
        count = 0
    }

    @inline(__always)
    private func reserve(_ n: Int) {
        if count + n > capacity {
            flush()
            if n > capacity {
                buffer.deallocate()
                capacity = n
                buffer = .allocate(capacity: capacity)
            }
        }
    }

    /// Appends one byte.
    @inline(__always)
    public func byte(_ b: UInt8) {
        reserve(1)
        buffer[count] = b
        count += 1
    }

    /// Appends a string's UTF-8 bytes.
    public func write(_ s: String) {
        var s = s
        s.withUTF8 { bytes(UnsafeRawBufferPointer($0)) }
    }

    /// Appends a string and a newline.
    public func line(_ s: String = "") {
        write(s)
        byte(10)
    }

    /// Appends raw bytes.
    @inline(__always)
    public func bytes(_ raw: UnsafeRawBufferPointer) {
        guard raw.count > 0 else { return }
        reserve(raw.count)
        (buffer + count).update(from: raw.baseAddress!.assumingMemoryBound(to: UInt8.self), count: raw.count)
        count += raw.count
    }

    /// Appends the bytes of an array.
    public func bytes(_ array: [UInt8]) { array.withUnsafeBytes { bytes($0) } }

    /// `n` spaces.
    @inline(__always)
    public func spaces(_ n: Int) {
        guard n > 0 else { return }
        reserve(n)
        (buffer + count).update(repeating: 32, count: n)
        count += n
    }

    /// A decimal number, right-aligned in `width` columns.
    @inline(__always)
    public func decimal(_ v: UInt64, width: Int = 0) {
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes of scratch
        var n = 0
        withUnsafeMutableBytes(of: &digits) { scratch in
            var x = v
            repeat {
                scratch[23 - n] = UInt8(truncatingIfNeeded: 48 + x % 10)
                x /= 10
                n += 1
            } while x > 0
            if width > n { spaces(width - n) }
            bytes(UnsafeRawBufferPointer(rebasing: scratch[(24 - n)...]))
        }
    }

    /// Appends a number in decimal, right-aligned in `width` columns.
    public func decimal(_ v: Int, width: Int = 0) {
        if v < 0 {
            let s = String(v)
            if width > s.utf8.count { spaces(width - s.utf8.count) }
            write(s)
        } else {
            decimal(UInt64(v), width: width)
        }
    }

    /// Lower-case hex of the bytes (two digits each).
    @inline(__always)
    public func hex(_ raw: UnsafeRawBufferPointer) {
        guard raw.count > 0 else { return }
        reserve(2 * raw.count)
        let out = UnsafeMutableRawPointer(buffer + count)
        let pairs = hexPairs
        for (k, b) in raw.enumerated() {
            out.storeBytes(of: pairs[Int(b)], toByteOffset: 2 * k, as: UInt16.self)
        }
        count += 2 * raw.count
    }

    /// `0x` and eight upper-case hex digits (how checksums are printed everywhere).
    public func checksum(_ v: UInt32) {
        write(formatChecksumText(v))
    }
}

@usableFromInline let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

/// The two hex digits of every byte, as the 16-bit word to store (memory order: high digit first).
nonisolated(unsafe) let hexPairs: UnsafeMutablePointer<UInt16> = {
    let p = UnsafeMutablePointer<UInt16>.allocate(capacity: 256)
    for b in 0..<256 {
        let hi = UInt16(hexDigits[b >> 4]), lo = UInt16(hexDigits[b & 15])
        p[b] = (hi | lo << 8).littleEndian
    }
    return p
}()

/// `0x` + 8 upper-case hex digits.
public func formatChecksumText(_ v: UInt32) -> String {
    let digits = Array("0123456789ABCDEF".utf8)
    var s: [UInt8] = [48, 120]
    for shift in stride(from: 28, through: 0, by: -4) { s.append(digits[Int((v >> UInt32(shift)) & 15)]) }
    return String(decoding: s, as: UTF8.self)
}

/// Text with trailing spaces to `width` columns (counting Unicode scalars).
func pad(_ s: String, _ width: Int) -> String {
    let n = s.unicodeScalars.count
    return n >= width ? s : s + String(repeating: " ", count: width - n)
}

/// Text with leading spaces to `width` columns.
func padLeft(_ s: String, _ width: Int) -> String {
    let n = s.unicodeScalars.count
    return n >= width ? s : String(repeating: " ", count: width - n) + s
}

/// Groups of three digits: `1 234 567`.
func grouped(_ v: some BinaryInteger) -> String {
    let s = String(v)
    var out = ""
    for (i, c) in s.enumerated() {
        if i > 0 && (s.count - i) % 3 == 0 && c != "-" && out != "-" { out.append(" ") }
        out.append(c)
    }
    return out
}

/// A fixed-point number without Foundation.
func fixed(_ x: Double, _ digits: Int) -> String {
    guard x.isFinite else { return "-" }
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let r = (abs(x) * scale).rounded()
    let whole = UInt64(r / scale)
    let frac = UInt64(r - Double(whole) * scale)
    var f = String(frac)
    while f.count < digits { f = "0" + f }
    return (x < 0 && r != 0 ? "-" : "") + String(whole) + (digits > 0 ? "." + f : "")
}

/// A byte count for people: `123 B`, `4.5 KiB`, `12.0 MiB`.
func humanBytes(_ n: Int64) -> String {
    if n < 1024 { return "\(n) B" }
    let units = ["KiB", "MiB", "GiB", "TiB"]
    var x = Double(n) / 1024
    var u = 0
    while x >= 1024 && u < units.count - 1 { x /= 1024; u += 1 }
    return fixed(x, 1) + " " + units[u]
}

/// Pins glibc's mmap threshold at 256 KiB for the process. With glibc's default (a threshold that
/// rises after the first large free), the scanner's per-segment 1 MiB read buffer comes from the
/// heap and fragments it, so resident memory crept up by about 1 MiB per segment read (15 MB for a
/// 128 MiB log, 45 MB for 1 GiB); with the threshold pinned, large buffers are mapped and unmapped
/// and peak memory stays flat (about 15 MB at any log size). Call once, first thing in `main`.
public func pinAllocatorMmapThreshold() {
    #if canImport(Glibc)
        _ = glibcMallopt(-3, 256 << 10)  // -3: M_MMAP_THRESHOLD, <malloc.h>
    #endif
}

#if canImport(Glibc)
    /// `int mallopt(int param, int value)` from <malloc.h> (not in the Glibc module map).
    @_silgen_name("mallopt")
    private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
#endif

/// The columns a table written to `fd` may use: `COLUMNS` when it is set to a number, else the
/// terminal's width when `fd` is a terminal, else `fallbackColumns` (output to a file or a pipe).
public func terminalWidthColumns(fd: Int32 = 1, fallbackColumns: Int = 120) -> Int {
    if let text = getenv("COLUMNS").map({ String(cString: $0) }), let n = Int(text), n > 0 { return n }
    #if canImport(Glibc) || canImport(Darwin)
        if isatty(fd) == 1 {
            var size = winsize()
            if ioctl(fd, UInt(TIOCGWINSZ), &size) == 0 && size.ws_col > 0 { return Int(size.ws_col) }
        }
    #endif
    return fallbackColumns
}

/// For logdump run inside another program (the raftstep REPL): the terminal's width when standard
/// output is a terminal, else 0 (no limit), so that transcripts do not depend on the environment.
public func interactiveWidthColumns() -> Int {
    #if canImport(Glibc) || canImport(Darwin)
        if isatty(1) == 1 { return terminalWidthColumns(fd: 1) }
    #endif
    return 0
}
