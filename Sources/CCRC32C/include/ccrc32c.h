// CRC32C (Castagnoli, reflected polynomial 0x82F63B78) for RaftStorage.
//
// The functions work on the raw register: start from 0xFFFFFFFF and complement the result
// yourself (RaftStorage's Swift `CRC32C` type does both). Passing the raw register lets a caller
// checksum discontiguous pieces one after another.
#ifndef CCRC32C_H
#define CCRC32C_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// The fastest implementation this CPU supports (SSE4.2 `crc32` when present, else the table).
uint32_t ccrc32c_update(uint32_t crc, const void *data, size_t length);
/// The portable table-driven implementation (slicing by 8).
uint32_t ccrc32c_update_portable(uint32_t crc, const void *data, size_t length);
/// The hardware implementation; only call it when `ccrc32c_hardware_available()` returns 1.
uint32_t ccrc32c_update_hardware(uint32_t crc, const void *data, size_t length);
/// 1 when this CPU has the SSE4.2 `crc32` instruction (x86-64) or the ARMv8 CRC extension.
int ccrc32c_hardware_available(void);

#ifdef __cplusplus
}
#endif

#endif
