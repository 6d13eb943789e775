"""Keeping a streaming run's memory flat, however many records it reads.

What grew with the input (measured on CSV → Parquet runs of 1M and 3M generated rows, see
`benchmarks/memory.py`) was not data kept on purpose but numpy arrays in reference cycles: a
chunk whose evaluation needs a row in exact fractions leaves its column run (~20 MB of arrays
at 12k rows) in a cycle that only the cyclic garbage collector frees. By then those objects
are in the oldest generation, which Python collects only when it has grown by a quarter of
everything long-lived (the compiled rules, the parser, …), so a dozen chunks' arrays could be
waiting at once: 70–250 MB of traced memory between batches, more the longer the run.

`StreamMemory` is used around the batch loop of a run:

* on entering, everything alive (rules, evaluators, imported modules) is collected once and
  then frozen (`gc.freeze`), so collecting later only looks at what the run itself made;
* after every piece, `after_piece()` collects that garbage (~3 ms; a piece takes ~200 ms), and every
  `RELEASE_EVERY` pieces also gives freed memory back to the system (Arrow's pool and glibc's
  `malloc_trim`);
* on leaving, what it froze is unfrozen. A process that had frozen objects itself is left as
  it was (nothing frozen or unfrozen; collecting then scans everything, which costs ~15 ms a
  piece).
"""
from __future__ import annotations

import gc

RELEASE_EVERY = 16  # pieces between giving freed memory back to the system


def release_memory() -> None:
    """Give freed memory back to the system: Arrow's pool (mimalloc or jemalloc) and glibc's
    arenas keep what a batch freed for the next one; trimming every few pieces keeps their
    share of the resident set from wandering upwards."""
    import pyarrow as pa

    pa.default_memory_pool().release_unused()
    trim = _malloc_trim()
    if trim:
        trim(0)


_LIBC = None


def _glibc():
    """glibc, or False where this is not glibc."""
    global _LIBC
    if _LIBC is None:
        try:
            import ctypes

            libc = ctypes.CDLL("libc.so.6")
            _LIBC = libc if hasattr(libc, "malloc_trim") and hasattr(libc, "mallopt") else False
        except OSError:
            _LIBC = False
    return _LIBC


def _malloc_trim():
    libc = _glibc()
    return libc.malloc_trim if libc else False


_M_ARENA_MAX = -8  # glibc's mallopt parameter (malloc.h)


def limit_malloc_arenas(count: int = 1) -> bool:
    """Let glibc's malloc use at most `count` arenas in this process. Each thread that
    allocates gets an arena of its own (up to 8 per CPU), and a streamed run allocates on three
    threads (reading, scoring, writing): each arena keeps its own freed pages, which raised the
    peak RSS of a 10M-row CSV → Parquet run from ~430 to ~550 MB. Process-wide, so only the
    command line calls it, never the library. False where this is not glibc."""
    libc = _glibc()
    return bool(libc.mallopt(_M_ARENA_MAX, count)) if libc else False


class StreamMemory:
    """Context manager for a streaming run's batch loop (see the module doc)."""

    def __init__(self, release_every: int = RELEASE_EVERY):
        self.release_every = max(1, release_every)
        self.pieces = 0
        self._froze = False

    def __enter__(self) -> "StreamMemory":
        gc.collect()
        if gc.get_freeze_count() == 0:
            gc.freeze()
            self._froze = True
        return self

    def after_piece(self) -> None:
        """Call once a piece's results are written (or at least handed on)."""
        self.pieces += 1
        gc.collect()
        if self.pieces % self.release_every == 0:
            release_memory()

    def __exit__(self, *exc) -> None:
        if self._froze:
            gc.unfreeze()
            self._froze = False
