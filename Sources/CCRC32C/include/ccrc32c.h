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
/// The raw registers of `count` independent buffers, each started from 0xFFFFFFFF: after the first
/// `split` bytes (`at_split[i]`) and after all `lengths[i]` bytes (`at_end[i]`); every length must be
/// at least `split`. The hardware path interleaves four buffers so short ones do not wait on the
/// instruction's latency; `portable` non-zero forces the table.
void ccrc32c_split_many(const void *const *starts, const size_t *lengths, size_t split, uint32_t *at_split,
                        uint32_t *at_end, size_t count, int portable);

#ifdef __cplusplus
}
#endif

#endif
