#include "ccpu_features.h"

#if defined(__x86_64__)
#include <cpuid.h>
#include <stdint.h>

static int has(unsigned value, int bit) { return (value >> bit) & 1u; }

/// XCR0: which register states the OS saves on a context switch (needs OSXSAVE).
static uint64_t xcr0(void) {
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
}

int ccpu_x86_64_level(void) {
    unsigned a, b, c, d;
    unsigned max = __get_cpuid_max(0, 0);
    if (max < 7) return 0;
    __cpuid(1, a, b, c, d);
    unsigned ecx1 = c;
    __cpuid_count(7, 0, a, b, c, d);
    unsigned ebx7 = b;
    unsigned ecx81 = 0;
    if (__get_cpuid_max(0x80000000u, 0) >= 0x80000001u) {
        __cpuid(0x80000001u, a, b, c, d);
        ecx81 = c;
    }
    // x86-64-v2 and the v3 additions (leaf 1 ECX, leaf 7 EBX, extended leaf ECX).
    int v3 = has(ecx1, 0) && has(ecx1, 9) && has(ecx1, 13) && has(ecx1, 19) && has(ecx1, 20) && has(ecx1, 23)
        && has(ecx81, 0)                                           // SSE3 SSSE3 CX16 SSE4.1 SSE4.2 POPCNT LAHF
        && has(ecx1, 12) && has(ecx1, 22) && has(ecx1, 28) && has(ecx1, 29)  // FMA MOVBE AVX F16C
        && has(ebx7, 3) && has(ebx7, 5) && has(ebx7, 8) && has(ecx81, 5)    // BMI1 AVX2 BMI2 LZCNT
        && has(ecx1, 26) && has(ecx1, 27);                                 // XSAVE, OSXSAVE (xgetbv usable)
    if (!v3) return 0;
    uint64_t state = xcr0();
    if ((state & 0x6) != 0x6) return 0;                   // SSE and AVX (YMM upper halves) state
    int v4 = has(ebx7, 16) && has(ebx7, 17) && has(ebx7, 28) && has(ebx7, 30) && has(ebx7, 31);  // F DQ CD BW VL
    if (v4 && (state & 0xE0) == 0xE0) return 4;           // opmask, ZMM0-15 upper halves, ZMM16-31
    return 3;
}
#else
int ccpu_x86_64_level(void) { return 0; }
#endif
