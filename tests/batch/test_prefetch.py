"""The read-ahead thread of streamed runs: same items in order, errors raised in the consumer,
and an abandoned iteration stops the reader (and closes its generator)."""
import threading

import pytest

from perfrules.batch import prefetched


def test_items_in_order():
    assert list(prefetched(iter(range(100)), depth=3)) == list(range(100))


def test_reader_error_is_raised_after_the_items_before_it():
    def gen():
        yield 1
        yield 2
        raise ValueError("bad piece")

    got = []
    with pytest.raises(ValueError, match="bad piece"):
        for x in prefetched(gen()):
            got.append(x)
    assert got == [1, 2]


def test_abandoned_iteration_stops_and_closes_the_reader():
    closed = threading.Event()

    def gen():
        try:
            i = 0
            while True:
                yield i
                i += 1
        finally:
            closed.set()

    it = prefetched(gen(), depth=2)
    assert next(it) == 0
    it.close()  # the consumer gives up (e.g. the writer failed)
    assert closed.wait(5)
    assert not [t for t in threading.enumerate() if t.name == "perfrules-reader"]
