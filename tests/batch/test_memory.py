"""Streaming runs leave nothing for the cyclic garbage collector to find later: memory between
batches does not depend on when Python last ran a full collection (see perfrules.memory)."""
from __future__ import annotations

import gc
import sys
import tracemalloc
import weakref
from pathlib import Path

import numpy as np

from perfrules import load
from perfrules.batch import run_file
from perfrules.memory import StreamMemory

ROOT = Path(__file__).resolve().parents[2]
HEALTH = ROOT / "rulesets" / "health" / "health.rules"


class _Cycle:
    def __init__(self):
        self.me = self
        self.data = np.ones(1 << 20)  # 8 MB


def test_after_piece_frees_arrays_held_in_cycles():
    before = gc.get_freeze_count()
    with StreamMemory() as memory:
        assert gc.get_freeze_count() > 0  # what was alive before the run is frozen
        x = _Cycle()
        for _ in range(3):  # survive a few collections: now in the oldest generation
            gc.collect()
        gone = weakref.ref(x)
        del x
        assert gone() is not None  # a cycle: reference counting alone does not free it
        memory.after_piece()
        assert gone() is None
    assert gc.get_freeze_count() == before


def test_a_process_that_froze_objects_itself_is_left_as_it_was():
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with StreamMemory() as memory:
            memory.after_piece()
        assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()


def test_traced_memory_between_batches_stays_flat(tmp_path, monkeypatch):
    """A real CSV → Parquet run of ~7 pieces of 12k rows: traced Python and numpy memory after
    each piece does not grow. (Before, a chunk with a row decided in exact fractions
    left ~20 MB of arrays in a reference cycle, and a dozen such chunks could be waiting.)"""
    sys.path.insert(0, str(ROOT))
    try:
        from benchmarks.memory import write_csv
    finally:
        sys.path.remove(str(ROOT))
    data = write_csv(tmp_path / "d.csv", 80_000, seed=5)
    rules = load(HEALTH)
    after = []
    original = StreamMemory.after_piece

    def spy(self):
        original(self)
        after.append(tracemalloc.get_traced_memory()[0])

    monkeypatch.setattr(StreamMemory, "after_piece", spy)
    tracemalloc.start()
    try:
        run_file(rules, data, tmp_path / "o.parquet", lang="en")
    finally:
        tracemalloc.stop()
    assert len(after) >= 5
    mb = [round(a / 2**20, 1) for a in after]
    # no growth: the later pieces peak no higher than the early ones; the spread is the few
    # pieces in flight between the reading, scoring and writing threads (each ~5 MB)
    half = len(mb) // 2
    assert max(mb[half:]) <= max(mb[:half]) + 6, mb
    assert max(mb) - min(mb) < 30, mb


def test_a_chunk_with_exact_tier_rows_leaves_no_cycle_behind():
    # rows decided in exact fractions used to tie their chunk's arrays into a reference cycle
    # (ExactRow → run → exact_rows → ExactRow): freed only at the next full collection
    from benchmarks.health_data import make_health_table
    from perfrules.backends.colrun import ChunkRun, ExactRow

    rules = load(HEALTH)
    table = make_health_table(20000, seed=0)
    stats = []
    gc.collect()
    gc.disable()
    try:
        from perfrules.batch import Batcher, resolve

        b = Batcher(rules, resolve(rules, table.column_names))
        b.evaluate(table)
        stats.append(b.stats.exact_tier_rows)
        alive = [o for o in gc.get_objects() if isinstance(o, (ChunkRun, ExactRow))]
    finally:
        gc.enable()
    assert stats[0] > 0  # the data did reach the exact tier
    assert alive == []
