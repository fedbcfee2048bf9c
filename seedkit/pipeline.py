"""Work done a few items ahead in a worker thread while the caller uses the items before: encoding rows while
the database takes the previous block, making a batch of seed rows while the last one is written."""

from __future__ import annotations

import queue
import threading
from typing import Any, Callable, Iterable, Iterator, TypeVar

PIPELINE_DEPTH = 2
_DONE = object()
_Item = TypeVar("_Item")
_Converted = TypeVar("_Converted")


def pipelined(items: Iterable[_Item], convert: Callable[[_Item], _Converted]) -> Iterator[_Converted]:
    """``convert(item)`` for each item, computed in a worker thread up to ``PIPELINE_DEPTH`` items ahead.

    ``items`` is consumed in the worker too, so reading (Parquet decoding) overlaps with the caller's work. An
    exception in the worker is raised in the caller; a caller that stops early stops the worker.
    """
    results: queue.Queue[Any] = queue.Queue(maxsize=PIPELINE_DEPTH)
    stop = threading.Event()

    def work() -> None:
        try:
            for item in items:
                if stop.is_set():
                    return
                _put(results, (convert(item), None), stop)
        except BaseException as exc:  # handed to the caller
            _put(results, (None, exc), stop)
            return
        _put(results, (_DONE, None), stop)

    worker = threading.Thread(target=work, name="seedkit-copy", daemon=True)
    worker.start()
    try:
        while True:
            value, error = results.get()
            if error is not None:
                raise error
            if value is _DONE:
                return
            yield value
    finally:
        stop.set()
        while worker.is_alive():
            try:
                results.get(timeout=0.05)
            except queue.Empty:
                pass
        worker.join()


def _put(results: queue.Queue[Any], item: tuple[Any, BaseException | None], stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            results.put(item, timeout=0.05)
            return
        except queue.Full:
            continue


def ahead(items: Iterable[_Item]) -> Iterator[_Item]:
    """``items``, made in a worker thread up to ``PIPELINE_DEPTH`` items ahead of the caller."""
    return pipelined(items, _same)


def _same(item: _Item) -> _Item:
    return item
