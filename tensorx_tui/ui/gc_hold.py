"""Keeping the garbage collector's full passes out of moments that must be quick.

A full collection walks every object of the app: ~130,000 with 20 exchanges shown, ~70 ms a
pass; with a long conversation mounted, passes of 100-350 ms were seen in the middle of a branch
switch. While a reply streams, and while a branch switch runs, what exists is frozen
(`gc.freeze`): young objects are still collected, only the old ones are left out of the passes.
Holds are named by their owner and nest: the last release unfreezes, so nothing is kept from
collection longer than the longest hold, and a hold taken twice is released once.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

_holders: set[object] = set()


def hold(owner: object) -> None:
    if not _holders:
        gc.freeze()
    _holders.add(owner)


def release(owner: object) -> None:
    _holders.discard(owner)
    if not _holders:
        gc.unfreeze()


def held() -> bool:
    return bool(_holders)


@contextmanager
def holding(owner: object) -> Iterator[None]:
    hold(owner)
    try:
        yield
    finally:
        release(owner)
