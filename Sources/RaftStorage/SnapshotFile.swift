import RaftCore

/// The snapshot file of a data directory (docs/storage-format.md §4): a state-machine snapshot with
/// its index, term and configuration, and the place in the segment sequence where the log after it
/// starts.
///
/// Layout (little-endian): a 96-byte header with its own CRC, the configuration
/// (`ConfigurationCodec` bytes), the data, and a CRC32C over every byte before it. The header's CRC
/// lets a reader trust the two lengths before it reads (or allocates) anything; the lengths must add
/// up to the file's size exactly.
public enum SnapshotFormat {
    /// Magic: `RSTPSNP` + newline.
    public static let magic: [UInt8] = Array("RSTPSNP\n".utf8)
    /// Version of the snapshot file layout.
    public static let version: UInt32 = 1
    /// Size of the header.
    public static let headerSize = 96
    /// Size of the trailer (the file CRC).
    public static let trailerSize = 4
    /// Largest configuration a file may declare (`ConfigurationCodec` of 3 × 1024 members is 24 583 bytes).
    public static let maxConfigurationLength = 65_536
    /// Snapshot files kept after a save (the newest and the one before it).
    public static let filesKept = 2

    /// File name: `snap-` + 16 hex digits of the snapshot index + `.snap` (sorts by index).
    public static func fileName(index: UInt64) -> String { "snap-" + hex16(index) + ".snap" }

    /// The index encoded in a snapshot file name, or nil when the name is not a snapshot's.
    public static func index(fileName: String) -> UInt64? {
        StorageFormat.hex16Number(in: fileName, prefix: "snap-", suffix: ".snap")
    }

    /// The whole file for `snapshot`.
    /// - Parameters:
    ///   - firstSegment: the sequence of the first segment that holds the log after the snapshot
    ///     (segments with a lower sequence are obsolete).
    ///   - batchSequence: the batch sequence of the last batch marker written before that segment (0 if none).
    public static func encode(_ snapshot: Snapshot, logID: LogID, firstSegment: UInt64, batchSequence: UInt64) -> [UInt8] {
        let configuration = ConfigurationCodec.encode(snapshot.metadata.configuration)
        var b: [UInt8] = []
        b.reserveCapacity(headerSize + configuration.count + snapshot.data.count + trailerSize)
        b.append(contentsOf: magic)
        b.put32(version)
        b.put32(UInt32(headerSize))
        b.append(contentsOf: logID.bytes)
        b.put64(snapshot.metadata.index)
        b.put64(snapshot.metadata.term)
        b.put64(firstSegment)
        b.put64(batchSequence)
        b.put64(UInt64(snapshot.data.count))
        b.put32(UInt32(configuration.count))
        b.put32(0)  // flags
        b.put64(0); b.put32(0)  // reserved
        b.put32(CRC32C.checksum(b))
        b.append(contentsOf: configuration)
        b.append(contentsOf: snapshot.data)
        b.put32(CRC32C.checksum(b))
        return b
    }
}

/// A snapshot file as read back (what `LogScanner` reports and `logdump` prints).
public struct SnapshotFileInfo: Sendable, Equatable {
    /// The file's path.
    public var path: String
    /// Its name.
    public var name: String
    /// Its size in bytes.
    public var fileSize: Int64
    /// The snapshot's metadata (index, term, configuration) when the file is valid.
    public var metadata: SnapshotMetadata?
    /// The log the file belongs to (when the header decodes).
    public var logID: LogID?
    /// The first segment of the log after the snapshot (when the header decodes).
    public var firstSegment: UInt64?
    /// The batch sequence of the last marker before that segment (when the header decodes).
    public var batchSequence: UInt64?
    /// Bytes of state-machine data (when the header decodes).
    public var dataLength: UInt64?
    /// The file CRC stored in the trailer, and the one computed (when the lengths fit the file).
    public var storedChecksum: UInt32?
    /// The file CRC computed over the file (when the lengths fit it).
    public var computedChecksum: UInt32?
    /// What is wrong with the file, or nil when it is valid.
    public var problem: StorageProblem?

    /// True when every check passed.
    public var isValid: Bool { problem == nil && metadata != nil }
    /// The snapshot index (valid files).
    public var index: UInt64? { metadata?.index }
    /// The snapshot term (valid files).
    public var term: UInt64? { metadata?.term }
    /// The configuration at the snapshot's index (valid files).
    public var configuration: Configuration? { metadata?.configuration }
    /// The checksum's status in words: `ok`, `mismatch`, or `unchecked` (header or lengths bad).
    public var checksumStatus: String {
        guard let storedChecksum, let computedChecksum else { return "unchecked" }
        return storedChecksum == computedChecksum ? "ok" : "mismatch"
    }

    /// Reads and checks a snapshot file without keeping its data (memory stays bounded: the data is
    /// checksummed through a window of `chunkSize` bytes). Never allocates more than the header, the
    /// configuration (≤ 64 KiB) and one window, whatever the file says.
    public static func inspect(path: String, fileSystem: FileSystem, chunkSize: Int = 1 << 20) throws(StorageError) -> SnapshotFileInfo {
        try read(path: path, fileSystem: fileSystem, chunkSize: chunkSize, keepData: false).info
    }

    /// Reads, checks and returns the snapshot in the file (nil snapshot when it is not valid).
    public static func load(path: String, fileSystem: FileSystem) throws(StorageError) -> (info: SnapshotFileInfo, snapshot: Snapshot?) {
        try read(path: path, fileSystem: fileSystem, chunkSize: 1 << 20, keepData: true)
    }

    static func read(path: String, fileSystem: FileSystem, chunkSize: Int, keepData: Bool) throws(StorageError) -> (
        info: SnapshotFileInfo, snapshot: Snapshot?
    ) {
        let name = Path.name(of: path)
        let file = try fileSystem.openFileForReading(atPath: path)
        defer { file.close() }
        let size = try file.size()
        var info = SnapshotFileInfo(path: path, name: name, fileSize: size)
        func fail(_ c: StorageProblem.Class, _ offset: Int64, _ message: String, stored: UInt32? = nil, computed: UInt32? = nil)
            -> (info: SnapshotFileInfo, snapshot: Snapshot?)
        {
            // Row P1: the bytes do not read back; row P2: they read back but are not this version's or do not fit.
            info.problem = StorageProblem(
                c == .corruption ? .P1 : .P2, c, file: name, offset: offset, index: info.metadata?.index ?? nil,
                expectedChecksum: stored, computedChecksum: computed, message: message)
            info.metadata = nil
            return (info, nil)
        }
        let headerSize = SnapshotFormat.headerSize
        guard size >= Int64(headerSize) else {
            return fail(
                .corruption, 0,
                "the snapshot file is \(size) bytes, shorter than its \(headerSize)-byte header (snapshot files are only renamed into place after a sync, so this is not an interrupted write)"
            )
        }
        let h = try file.read(count: headerSize, at: 0)
        guard h.count == headerSize else { return fail(.corruption, 0, "the snapshot file shrank while being read") }
        let (header, storedHeader, computedHeader) = h.withUnsafeBytes {
            raw -> ((UInt32, UInt32, UInt64, UInt64, UInt64, UInt64, UInt64, UInt32, UInt32, Bool), UInt32, UInt32) in
            let reservedZero = raw.u64(80) == 0 && raw.u32(88) == 0
            return (
                (raw.u32(8), raw.u32(12), raw.u64(32), raw.u64(40), raw.u64(48), raw.u64(56), raw.u64(64), raw.u32(72), raw.u32(76), reservedZero),
                raw.u32(92), CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[0..<92]))
            )
        }
        let (version, declaredHeaderSize, index, term, firstSegment, batchSequence, dataLength, configLength, flags, reservedZero) = header
        guard Array(h[0..<8]) == SnapshotFormat.magic else { return fail(.corruption, 0, "bad snapshot magic") }
        guard storedHeader == computedHeader else {
            return fail(.corruption, 92, "snapshot header checksum mismatch", stored: storedHeader, computed: computedHeader)
        }
        guard version == SnapshotFormat.version else { return fail(.inconsistency, 8, "unsupported snapshot file version \(version)") }
        guard declaredHeaderSize == UInt32(headerSize), flags == 0, reservedZero else {
            return fail(.corruption, 12, "snapshot header: header size \(declaredHeaderSize), flags \(flags) or reserved bytes are wrong")
        }
        let limit = StorageFormat.plausibleLimit
        guard index >= 1, index < limit, term >= 1, term < limit, firstSegment >= 1, firstSegment < limit, batchSequence < limit else {
            return fail(
                .corruption, 32,
                "snapshot header: implausible index \(index), term \(term), first segment \(firstSegment) or batch sequence \(batchSequence)")
        }
        info.logID = LogID(bytes: Array(h[16..<32]))
        info.firstSegment = firstSegment
        info.batchSequence = batchSequence
        info.dataLength = dataLength
        guard Int(configLength) <= SnapshotFormat.maxConfigurationLength, dataLength < limit else {
            return fail(.corruption, 64, "snapshot header: configuration length \(configLength) or data length \(dataLength) is implausible")
        }
        let declared = Int64(headerSize) + Int64(configLength) + Int64(dataLength) + Int64(SnapshotFormat.trailerSize)
        guard declared == size else {
            return fail(.corruption, 64, "the snapshot file is \(size) bytes but its header declares \(declared) (truncated or extended)")
        }
        let body: SnapshotBody
        switch try readBody(file, header: h, configLength: Int(configLength), dataLength: dataLength, chunkSize: chunkSize, keepData: keepData) {
        case .success(let read): body = read
        case .failure(let shrank): return fail(.corruption, shrank.offset, "the snapshot file shrank while being read")
        }
        let (configuration, data, stored, computed, dataEnd) = (
            body.configuration, body.data, body.storedChecksum, body.computedChecksum, body.dataEnd
        )
        info.storedChecksum = stored
        info.computedChecksum = computed
        guard stored == computed else {
            return fail(.corruption, dataEnd, "snapshot file checksum mismatch", stored: stored, computed: computed)
        }
        guard let decoded = ConfigurationCodec.decode(configuration) else {
            return fail(
                .inconsistency, Int64(headerSize), "the snapshot's configuration does not decode (its checksum is right: written by another version?)"
            )
        }
        if let named = SnapshotFormat.index(fileName: name), named != index {
            return fail(.inconsistency, 32, "the snapshot header says index \(index) but the file name says \(named)")
        }
        info.metadata = SnapshotMetadata(index: index, term: term, configuration: decoded)
        return (info, keepData ? Snapshot(metadata: info.metadata!, data: data) : nil)
    }
}

/// The configuration, data (when kept) and both checksums of a snapshot file whose header checked out.
struct SnapshotBody {
    var configuration: [UInt8]
    var data: [UInt8]
    var storedChecksum: UInt32
    var computedChecksum: UInt32
    var dataEnd: Int64
}

/// The file ended before `offset` although its size said otherwise (another process cut it).
struct SnapshotFileShrank: Error { var offset: Int64 }

extension SnapshotFileInfo {
    /// Reads the configuration and the data after `header` through a window of `chunkSize` bytes,
    /// checksumming everything before the trailer, and the trailer.
    static func readBody(
        _ file: StorageFile, header: [UInt8], configLength: Int, dataLength: UInt64, chunkSize: Int,
        keepData: Bool
    ) throws(StorageError) -> Result<SnapshotBody, SnapshotFileShrank> {
        let headerSize = Int64(SnapshotFormat.headerSize)
        var register = crcUpdate(0xFFFF_FFFF, header)
        let configuration = try file.read(count: configLength, at: headerSize)
        guard configuration.count == configLength else { return .failure(SnapshotFileShrank(offset: headerSize)) }
        register = crcUpdate(register, configuration)
        var data: [UInt8] = []
        if keepData { data.reserveCapacity(Int(dataLength)) }
        var offset = headerSize + Int64(configLength)
        let dataEnd = offset + Int64(dataLength)
        let window = max(4096, chunkSize)
        while offset < dataEnd {
            let chunk = try file.read(count: Int(min(Int64(window), dataEnd - offset)), at: offset)
            guard !chunk.isEmpty else { return .failure(SnapshotFileShrank(offset: offset)) }
            register = crcUpdate(register, chunk)
            if keepData { data.append(contentsOf: chunk) }
            offset += Int64(chunk.count)
        }
        let trailer = try file.read(count: 4, at: dataEnd)
        guard trailer.count == 4 else { return .failure(SnapshotFileShrank(offset: dataEnd)) }
        return .success(
            SnapshotBody(
                configuration: configuration, data: data, storedChecksum: trailer.withUnsafeBytes { $0.u32(0) },
                computedChecksum: ~register, dataEnd: dataEnd))
    }
}

@inline(__always) private func crcUpdate(_ register: UInt32, _ bytes: [UInt8]) -> UInt32 {
    bytes.withUnsafeBytes { CRC32C.update(register, $0) }
}
