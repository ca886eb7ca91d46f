/// Reads a file through a sliding window.
final class WindowReader {
    let file: StorageFile
    let size: Int64
    private var buffer: UnsafeMutableRawBufferPointer
    private var windowStart: Int64 = 0
    private var windowLength = 0
    private let chunk: Int
    private(set) var bytesRead: Int64 = 0

    private let mapped: UnsafeRawBufferPointer?

    init(file: StorageFile, size: Int64, chunk: Int, map: Bool = false) {
        self.file = file
        self.size = size
        self.chunk = max(chunk, 4096)
        if map, let view = file.mapForReading(), Int64(view.count) == size {
            mapped = view
            bytesRead = size
            self.buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 0, alignment: 64)
        } else {
            mapped = nil
            // No bigger than the file (`load` grows it for a longer read): a small segment does
            // not take a whole chunk (a 1 MiB allocation at every simulated restart).
            self.buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Int(min(Int64(self.chunk), max(size, 64))), alignment: 64)
        }
    }

    deinit { buffer.deallocate() }

    /// The bytes `[offset, offset + count)`, or nil when they are not all inside the file.
    @inline(__always)
    func bytes(at offset: Int64, count: Int) throws(StorageError) -> UnsafeRawBufferPointer? {
        guard offset >= 0, count >= 0, offset + Int64(count) <= size else { return nil }
        if let mapped { return UnsafeRawBufferPointer(start: mapped.baseAddress! + Int(offset), count: count) }
        let rel = offset - windowStart
        if rel >= 0 && rel + Int64(count) <= Int64(windowLength) {
            return UnsafeRawBufferPointer(start: buffer.baseAddress! + Int(rel), count: count)
        }
        try load(at: offset, count: count)
        return UnsafeRawBufferPointer(start: buffer.baseAddress!, count: count)
    }

    /// The bytes from `offset` to the end of the window (at least `count` of them; the window is
    /// moved to `offset` when fewer are loaded), or nil when `count` bytes from `offset` are not
    /// all inside the file. Valid until the next call.
    func window(at offset: Int64, minimum count: Int) throws(StorageError) -> UnsafeRawBufferPointer? {
        guard offset >= 0, count >= 0, offset + Int64(count) <= size else { return nil }
        if let mapped { return UnsafeRawBufferPointer(start: mapped.baseAddress! + Int(offset), count: Int(size - offset)) }
        var rel = offset - windowStart
        if !(rel >= 0 && rel + Int64(count) <= Int64(windowLength)) {
            try load(at: offset, count: count)
            rel = 0
        }
        return UnsafeRawBufferPointer(start: buffer.baseAddress! + Int(rel), count: windowLength - Int(rel))
    }

    private func load(at offset: Int64, count: Int) throws(StorageError) {
        if count > buffer.count {
            buffer.deallocate()
            buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: count, alignment: 64)
        }
        let want = Int(min(Int64(max(count, chunk)), size - offset))
        var filled = 0
        while filled < want {
            let n = try file.read(
                into: UnsafeMutableRawBufferPointer(start: buffer.baseAddress! + filled, count: want - filled),
                at: offset + Int64(filled))
            if n == 0 { break }
            filled += n
        }
        bytesRead += Int64(filled)
        windowStart = offset
        windowLength = filled
        if filled < count { throw StorageError(.io, "file shrank while being read", path: nil) }
    }

    /// Smallest offset from which the file is all zero bytes (== size when the last byte is not zero).
    func zeroSuffixStart() throws(StorageError) -> Int64 {
        var end = size
        while end > 0 {
            let start = max(0, end - Int64(chunk))
            guard let raw = try bytes(at: start, count: Int(end - start)) else { return end }
            var i = raw.count
            while i > 0 && raw[i - 1] == 0 { i -= 1 }
            if i > 0 { return start + Int64(i) }
            end = start
        }
        return 0
    }
}
