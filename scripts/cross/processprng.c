/*
 * bcryptprimitives.dll with one export, ProcessPrng, for running Windows builds under
 * wine 8 (Debian bookworm's wine64), which lacks it.
 *
 * Rust's std (1.78 and newer) takes its randomness on Windows from
 * bcryptprimitives!ProcessPrng; under a wine without that export every Rust program exits
 * with status 53 before main and prints nothing. scripts/cross.sh builds this file with
 * mingw-w64 and copies the DLL into the throw-away wine prefix it runs the tests in. It is
 * never shipped: real Windows (8 and newer) has ProcessPrng.
 *
 * ProcessPrng is documented to always succeed and return TRUE; RtlGenRandom
 * (advapi32!SystemFunction036) takes a ULONG length, so larger requests are split.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
	while (length > 0) {
		ULONG chunk = length > 0x10000000 ? 0x10000000 : (ULONG)length;
		if (!SystemFunction036(data, chunk))
			return FALSE;
		data += chunk;
		length -= chunk;
	}
	return TRUE;
}
