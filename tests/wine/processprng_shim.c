/*
 * TEST ONLY, never shipped: a bcryptprimitives.dll for Wine 8, which lacks ProcessPrng (Rust's
 * standard library imports it since 1.78). Implements it with RtlGenRandom (SystemFunction036).
 * Real Windows 10 and later have ProcessPrng; this file only makes the DLLs load under Wine.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
    while (len > 0) {
        ULONG chunk = len > 0x40000000 ? 0x40000000 : (ULONG)len;
        if (!SystemFunction036(data, chunk)) return FALSE;
        data += chunk;
        len -= chunk;
    }
    return TRUE;
}
