// CRC32C for RaftStorage: a slicing-by-8 table fallback and the x86-64 SSE4.2 `crc32` instruction.
// The hardware path runs three independent streams over large buffers and folds them together
// with table-free shifts ("crc of zeros" by repeated squaring), so the 3-cycle latency of `crc32`
// does not cap throughput.
#include "ccrc32c.h"

#include <string.h>

#define POLY 0x82F63B78u

static uint32_t table[8][256];
static int table_ready = 0;

static void build_table(void) {
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = n;
        for (int k = 0; k < 8; k++) c = (c & 1) ? (c >> 1) ^ POLY : c >> 1;
        table[0][n] = c;
    }
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = table[0][n];
        for (int s = 1; s < 8; s++) {
            c = table[0][c & 0xFF] ^ (c >> 8);
            table[s][n] = c;
        }
    }
    __atomic_store_n(&table_ready, 1, __ATOMIC_RELEASE);
}

static inline void ensure_table(void) {
    if (!__atomic_load_n(&table_ready, __ATOMIC_ACQUIRE)) build_table();  // idempotent: racing builders write equal values
}

uint32_t ccrc32c_update_portable(uint32_t crc, const void *data, size_t length) {
    ensure_table();
    const unsigned char *p = (const unsigned char *)data;
    while (length && ((uintptr_t)p & 7)) {
        crc = table[0][(crc ^ *p++) & 0xFF] ^ (crc >> 8);
        length--;
    }
    while (length >= 8) {
        uint64_t word;
        memcpy(&word, p, 8);
        word ^= crc;  // little-endian hosts only (x86-64, arm64)
        crc = table[7][word & 0xFF] ^ table[6][(word >> 8) & 0xFF] ^ table[5][(word >> 16) & 0xFF] ^
              table[4][(word >> 24) & 0xFF] ^ table[3][(word >> 32) & 0xFF] ^ table[2][(word >> 40) & 0xFF] ^
              table[1][(word >> 48) & 0xFF] ^ table[0][word >> 56];
        p += 8;
        length -= 8;
    }
    while (length--) crc = table[0][(crc ^ *p++) & 0xFF] ^ (crc >> 8);
    return crc;
}

// GF(2) helpers to shift a CRC register over `n` zero bytes: multiply by x^(8n) mod P.
static uint32_t gf2_multiply(uint32_t a, uint32_t b) {
    // Reflected polynomial arithmetic: bit 31 is x^0.
    uint32_t product = 0;
    for (int i = 0; i < 32; i++) {
        if (a & 0x80000000u) product ^= b;
        a <<= 1;
        b = (b & 1) ? (b >> 1) ^ POLY : b >> 1;
    }
    return product;
}

// x^(8*n) mod P in reflected form.
static uint32_t x_pow_8n(size_t n) {
    uint32_t result = 0x80000000u;  // x^0
    uint32_t square = 0x00800000u;  // x^8
    while (n) {
        if (n & 1) result = gf2_multiply(result, square);
        square = gf2_multiply(square, square);
        n >>= 1;
    }
    return result;
}

#if defined(__x86_64__)
#include <cpuid.h>

__attribute__((target("sse4.2")))
static uint32_t hw_serial(uint32_t crc, const unsigned char *p, size_t length) {
    // No byte-wise walk to an 8-byte boundary first: x86-64 loads unaligned words at full speed,
    // and a record's checksum continues at offset 28 (after the header's), 4 bytes off alignment.
    uint64_t c = crc;
    while (length >= 8) {
        uint64_t word;
        memcpy(&word, p, 8);
        c = __builtin_ia32_crc32di(c, word);
        p += 8;
        length -= 8;
    }
    if (length >= 4) {
        uint32_t word;
        memcpy(&word, p, 4);
        c = __builtin_ia32_crc32si((uint32_t)c, word);
        p += 4;
        length -= 4;
    }
    while (length--) c = __builtin_ia32_crc32qi((uint32_t)c, *p++);
    return (uint32_t)c;
}

enum { STRIPE = 4096 };  // bytes per stream per round of the three-stream loop
static uint32_t stripe_shift = 0;  // x^(8*STRIPE) mod P
static uint32_t stripe_shift2 = 0; // x^(16*STRIPE) mod P

__attribute__((target("sse4.2")))
uint32_t ccrc32c_update_hardware(uint32_t crc, const void *data, size_t length) {
    const unsigned char *p = (const unsigned char *)data;
    if (length < 3 * STRIPE) return hw_serial(crc, p, length);
    if (!__atomic_load_n(&stripe_shift, __ATOMIC_ACQUIRE)) {
        stripe_shift2 = x_pow_8n(2 * STRIPE);
        __atomic_store_n(&stripe_shift, x_pow_8n(STRIPE), __ATOMIC_RELEASE);
    }
    while (length && ((uintptr_t)p & 7)) {
        crc = __builtin_ia32_crc32qi(crc, *p++);
        length--;
    }
    while (length >= 3 * STRIPE) {
        uint64_t a = crc, b = 0, c = 0;
        const unsigned char *pa = p, *pb = p + STRIPE, *pc = p + 2 * STRIPE;
        for (size_t i = 0; i < STRIPE; i += 8) {
            uint64_t wa, wb, wc;
            memcpy(&wa, pa + i, 8);
            memcpy(&wb, pb + i, 8);
            memcpy(&wc, pc + i, 8);
            a = __builtin_ia32_crc32di(a, wa);
            b = __builtin_ia32_crc32di(b, wb);
            c = __builtin_ia32_crc32di(c, wc);
        }
        // crc(A||B||C) = shift(a, 2S) ^ shift(b, S) ^ c, where the streams b and c started from 0.
        crc = gf2_multiply((uint32_t)a, stripe_shift2) ^ gf2_multiply((uint32_t)b, stripe_shift) ^ (uint32_t)c;
        p += 3 * STRIPE;
        length -= 3 * STRIPE;
    }
    return hw_serial(crc, p, length);
}

// Several independent buffers at once: `crc32` has a latency of about three cycles but starts one
// per cycle, so a lone short buffer (a 160-byte record) leaves two thirds of the unit idle. Four
// streams advance in lockstep over their common length, then each finishes alone.

// Advances the four registers `c` over bytes [*at, end) of the four buffers, 8 bytes at a time;
// leaves *at at the first byte not consumed.
__attribute__((target("sse4.2")))
static inline void hw_lockstep4(const unsigned char *const *p, size_t *at, size_t end, uint64_t *c) {
    // Locals, so the loop keeps buffers and registers in CPU registers.
    const unsigned char *p0 = p[0], *p1 = p[1], *p2 = p[2], *p3 = p[3];
    uint64_t c0 = c[0], c1 = c[1], c2 = c[2], c3 = c[3];
    size_t i = *at;
    for (; i + 8 <= end; i += 8) {
        uint64_t w0, w1, w2, w3;
        memcpy(&w0, p0 + i, 8);
        memcpy(&w1, p1 + i, 8);
        memcpy(&w2, p2 + i, 8);
        memcpy(&w3, p3 + i, 8);
        c0 = __builtin_ia32_crc32di(c0, w0);
        c1 = __builtin_ia32_crc32di(c1, w1);
        c2 = __builtin_ia32_crc32di(c2, w2);
        c3 = __builtin_ia32_crc32di(c3, w3);
    }
    c[0] = c0;
    c[1] = c1;
    c[2] = c2;
    c[3] = c3;
    *at = i;
}

__attribute__((target("sse4.2")))
static void hw_split4(const unsigned char *const *starts, const size_t *lengths, size_t split,
                      uint32_t *at_split, uint32_t *at_end) {
    uint64_t c[4] = {0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu};
    size_t i = 0;
    hw_lockstep4(starts, &i, split, c);
    for (int k = 0; k < 4; k++) {
        at_split[k] = hw_serial((uint32_t)c[k], starts[k] + i, split - i);
        c[k] = at_split[k];
    }
    size_t common = lengths[0];
    for (int k = 1; k < 4; k++)
        if (lengths[k] < common) common = lengths[k];
    i = split;
    hw_lockstep4(starts, &i, common, c);
    for (int k = 0; k < 4; k++) at_end[k] = hw_serial((uint32_t)c[k], starts[k] + i, lengths[k] - i);
}

__attribute__((target("sse4.2")))
static void hw_split_many(const unsigned char *const *starts, const size_t *lengths, size_t split,
                          uint32_t *at_split, uint32_t *at_end, size_t count) {
    size_t n = 0;
    for (; n + 4 <= count; n += 4) hw_split4(starts + n, lengths + n, split, at_split + n, at_end + n);
    for (; n < count; n++) {
        at_split[n] = hw_serial(0xFFFFFFFFu, starts[n], split);
        at_end[n] = ccrc32c_update_hardware(at_split[n], starts[n] + split, lengths[n] - split);
    }
}

static int hw_checked = 0;
static int hw_present = 0;

int ccrc32c_hardware_available(void) {
    if (!__atomic_load_n(&hw_checked, __ATOMIC_ACQUIRE)) {
        unsigned int eax, ebx, ecx, edx;
        int present = 0;
        if (__get_cpuid(1, &eax, &ebx, &ecx, &edx)) present = (ecx & bit_SSE4_2) != 0;
        hw_present = present;
        __atomic_store_n(&hw_checked, 1, __ATOMIC_RELEASE);
    }
    return hw_present;
}

#else

uint32_t ccrc32c_update_hardware(uint32_t crc, const void *data, size_t length) {
    return ccrc32c_update_portable(crc, data, length);
}

int ccrc32c_hardware_available(void) { return 0; }

#endif

uint32_t ccrc32c_update(uint32_t crc, const void *data, size_t length) {
    if (ccrc32c_hardware_available()) return ccrc32c_update_hardware(crc, data, length);
    return ccrc32c_update_portable(crc, data, length);
}

static void portable_split_many(const unsigned char *const *starts, const size_t *lengths, size_t split,
                                uint32_t *at_split, uint32_t *at_end, size_t count) {
    for (size_t n = 0; n < count; n++) {
        at_split[n] = ccrc32c_update_portable(0xFFFFFFFFu, starts[n], split);
        at_end[n] = ccrc32c_update_portable(at_split[n], starts[n] + split, lengths[n] - split);
    }
}

void ccrc32c_split_many(const void *const *starts, const size_t *lengths, size_t split, uint32_t *at_split,
                        uint32_t *at_end, size_t count, int portable) {
    const unsigned char *const *p = (const unsigned char *const *)starts;
#if defined(__x86_64__)
    if (!portable && ccrc32c_hardware_available()) {
        hw_split_many(p, lengths, split, at_split, at_end, count);
        return;
    }
#endif
    portable_split_many(p, lengths, split, at_split, at_end, count);
}
