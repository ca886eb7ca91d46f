import RaftCore

/// One of the two slots of the hard-state file, as read back.
public struct HardStateSlot: Sendable, Equatable {
    /// How the slot reads.
    public enum Status: String, Sendable {
        /// Magic, version, slot number and checksum are right.
        case valid
        /// All 96 bytes are zero: never written.
        case empty
        /// Anything else (torn or corrupted).
        case invalid
    }

    /// 0 or 1.
    public var slot: Int
    /// Byte offset of the slot in the file.
    public var offset: Int64
    /// How it reads.
    public var status: Status
    /// Why it is invalid.
    public var reason: String?
    /// The checksum stored in the slot.
    public var storedChecksum: UInt32
    /// The checksum of the slot's bytes.
    public var computedChecksum: UInt32
    /// The write sequence number (valid slots).
    public var sequence: UInt64?
    /// The state held (valid slots).
    public var hardState: HardState?
    /// The log the slot belongs to (valid slots).
    public var logID: LogID?
    /// The sequence of the last batch marker written before this slot (valid slots).
    public var batchSequence: UInt64?
    /// The segment being appended to when the slot was written (valid slots).
    public var segmentSequence: UInt64?
    /// False when the slot was written under `SyncPolicy.never` (flag bit 0).
    public var synced: Bool = true
}

/// Both slots of a hard-state file and which one wins.
public struct HardStateInspection: Sendable {
    /// The file's path.
    public var path: String
    /// The file's size.
    public var fileSize: Int64
    /// Slot 0 and slot 1 (empty when the file is too short to hold them).
    public var slots: [HardStateSlot]
    /// The slot whose state counts: the valid one with the higher sequence number.
    public var chosenSlot: Int?

    /// The chosen slot, if any.
    public var chosen: HardStateSlot? { chosenSlot.map { slots[$0] } }

    /// Reads and checks both slots of the hard-state file at `path`.
    public static func inspect(path: String, fileSystem: FileSystem) throws(StorageError) -> HardStateInspection {
        let bytes = try fileSystem.readFile(atPath: path)
        var slots: [HardStateSlot] = []
        for slot in 0..<2 {
            let offset = slot * StorageFormat.hardStateSlotStride
            let end = offset + StorageFormat.hardStateSlotSize
            guard end <= bytes.count else { continue }
            slots.append(
                bytes.withUnsafeBytes { raw in
                    decodeSlot(UnsafeRawBufferPointer(rebasing: raw[offset..<end]), slot: slot, offset: Int64(offset))
                })
        }
        var chosen: Int?
        for s in slots where s.status == .valid {
            if let c = chosen, slots[c].sequence! >= s.sequence! { continue }
            chosen = s.slot
        }
        return HardStateInspection(path: path, fileSize: Int64(bytes.count), slots: slots, chosenSlot: chosen)
    }

    static func decodeSlot(_ raw: UnsafeRawBufferPointer, slot: Int, offset: Int64) -> HardStateSlot {
        let stored = raw.u32(92)
        let computed = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[0..<92]))
        var result = HardStateSlot(
            slot: slot, offset: offset, status: .invalid, reason: nil, storedChecksum: stored,
            computedChecksum: computed, sequence: nil, hardState: nil, logID: nil)
        if raw.allSatisfy({ $0 == 0 }) {
            result.status = .empty
            return result
        }
        if Array(raw[0..<8]) != StorageFormat.hardStateMagic {
            result.reason = "bad magic"
        } else if stored != computed {
            result.reason = "checksum mismatch"
        } else if raw.u32(8) != StorageFormat.version {
            result.reason = "unsupported version \(raw.u32(8))"
        } else if raw.u32(12) != UInt32(slot) {
            result.reason = "slot number \(raw.u32(12)) in slot \(slot)"
        } else if raw.u64(32) % 2 != UInt64(slot) {
            result.reason = "sequence \(raw.u64(32)) does not belong in slot \(slot)"
        } else if raw.u64(32) >= StorageFormat.plausibleLimit || raw.u64(64) >= StorageFormat.plausibleLimit
            || raw.u64(72) >= StorageFormat.plausibleLimit || raw.u64(40) >= StorageFormat.plausibleLimit
            || raw.u64(56) >= StorageFormat.plausibleLimit
        {
            result.reason = "implausible sequence, term or commit"
        } else if raw.u32(80) & ~1 != 0 || raw.u64(84) != 0 {
            result.reason = "unknown flags \(raw.u32(80)) or reserved bytes not zero"
        } else {
            result.status = .valid
            result.batchSequence = raw.u64(64)
            result.segmentSequence = raw.u64(72)
            result.synced = raw.u32(80) & 1 == 0
            result.sequence = raw.u64(32)
            result.logID = LogID(bytes: Array(raw[16..<32]))
            result.hardState = HardState(term: raw.u64(40), vote: raw.u64(48), commit: raw.u64(56))
        }
        return result
    }
}
