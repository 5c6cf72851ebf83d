#!/usr/bin/env python3
"""Turns instruction traces of a warm `get`/`store` into lld's symbol ordering file.

  hot_symbols.py MAP TRACE... > scripts/hot-symbols.txt

MAP is the linker map of the release binary (`-Wl,-Map=MAP -Wl,--no-demangle`, so that its
symbol names are the mangled ones the linker matches); each TRACE is valgrind lackey's
`--trace-mem=yes` log of one run of that same binary. Every instruction address inside
.text is mapped to the function that holds it, and the functions are printed once each, in
the order they first ran (the traces in the order given). scripts/hot-symbols.sh runs it.
"""

import bisect
import sys


def symbols(map_path):
    """(address, name) of every symbol in the map, sorted, and the .text range."""
    syms, text = [], None
    with open(map_path, encoding="utf-8", errors="replace") as f:
        for line in f:
            parts = line.split(None, 4)
            if len(parts) != 5:
                continue
            try:
                vma, size = int(parts[0], 16), int(parts[2], 16)
            except ValueError:
                continue  # the header line
            name = parts[4].strip()
            if name == ".text":
                text = (vma, vma + size)
            # Output sections start with '.', input sections are "file:(section)",
            # linker-made entries are "<internal>"; what is left names a symbol.
            elif not name.startswith((".", "<")) and ":(" not in name:
                syms.append((vma, name))
    if text is None:
        sys.exit(f"hot_symbols: {map_path} has no .text output section")
    syms.sort()
    return syms, text


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: hot_symbols.py MAP TRACE...")
    syms, (lo, hi) = symbols(sys.argv[1])
    starts = [a for a, _ in syms]
    order, seen = [], set()
    for trace in sys.argv[2:]:
        with open(trace, encoding="ascii", errors="replace") as f:
            for line in f:
                # lackey: "I  0040a1b3,5" for an instruction fetch (loads/stores start with ' ')
                if not line.startswith("I"):
                    continue
                addr = int(line.split()[1].split(",")[0], 16)
                if not lo <= addr < hi:
                    continue
                i = bisect.bisect_right(starts, addr) - 1
                if i < 0:
                    continue
                name = syms[i][1]
                if name not in seen:
                    seen.add(name)
                    order.append(name)
    if not order:
        sys.exit("hot_symbols: the traces ran no instruction inside .text")
    sys.stdout.write("".join(n + "\n" for n in order))


if __name__ == "__main__":
    main()
