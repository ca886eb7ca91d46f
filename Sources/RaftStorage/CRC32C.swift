import CCRC32C

/// CRC32C (Castagnoli), the checksum of every segment header, record and hard-state slot.
///
/// Uses the SSE4.2 `crc32` instruction when the CPU has it (detected at run time) and a portable
/// slicing-by-8 table otherwise. Test vectors (RFC 3720): `"123456789"` → `0xE3069283`,
/// 32 zero bytes → `0x8A9136AA`.
public enum CRC32C {
    /// Which implementation computes a checksum.
    public enum Implementation: Sendable, CaseIterable {
        /// Whatever is fastest here (hardware when available).
        case automatic
        /// The table-driven code that runs on every CPU.
        case portable
        /// The CPU instruction; falls back to `portable` when the CPU lacks it.
        case hardware
    }

    /// True when the CPU's CRC32C instruction is used by `.automatic`.
    public static var hardwareAvailable: Bool { ccrc32c_hardware_available() != 0 }

    /// The checksum of `bytes`.
    @inlinable
    public static func checksum(_ bytes: UnsafeRawBufferPointer, using implementation: Implementation = .automatic) -> UInt32 {
        ~update(0xFFFF_FFFF, bytes, using: implementation)
    }

    /// The checksum of `bytes`.
    public static func checksum(_ bytes: [UInt8], using implementation: Implementation = .automatic) -> UInt32 {
        bytes.withUnsafeBytes { checksum($0, using: implementation) }
    }

    /// Advances a raw CRC register (start from `0xFFFF_FFFF`, complement at the end) over `bytes`.
    @inlinable
    public static func update(_ register: UInt32, _ bytes: UnsafeRawBufferPointer, using implementation: Implementation = .automatic) -> UInt32 {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return register }
        switch implementation {
        case .automatic: return ccrc32c_update(register, base, bytes.count)
        case .portable: return ccrc32c_update_portable(register, base, bytes.count)
        case .hardware:
            return hardwareAvailable
                ? ccrc32c_update_hardware(register, base, bytes.count)
                : ccrc32c_update_portable(register, base, bytes.count)
        }
    }

    /// The raw registers of independent buffers, each started from `0xFFFF_FFFF`: after the first
    /// `split` bytes and after the whole buffer (every buffer holds at least `split` bytes). The
    /// hardware path interleaves four buffers, so short ones do not wait on the instruction's
    /// latency; a record's header checksum is the register at 28 bytes, its record checksum the end.
    public static func splitRegisters(
        _ buffers: [UnsafeRawBufferPointer], split: Int, using implementation: Implementation = .automatic
    ) -> [(atSplit: UInt32, atEnd: UInt32)] {
        precondition(buffers.allSatisfy { $0.count >= split && ($0.baseAddress != nil || $0.count == 0) }, "a buffer is shorter than split")
        let placeholder = UnsafeRawPointer(bitPattern: 1)!  // never read: only for empty buffers
        let starts: [UnsafeRawPointer?] = buffers.map { $0.baseAddress ?? placeholder }
        let lengths = buffers.map(\.count)
        var atSplit = [UInt32](repeating: 0, count: buffers.count)
        var atEnd = [UInt32](repeating: 0, count: buffers.count)
        ccrc32c_split_many(starts, lengths, split, &atSplit, &atEnd, buffers.count, implementation == .portable ? 1 : 0)
        return zip(atSplit, atEnd).map { ($0, $1) }
    }
}
