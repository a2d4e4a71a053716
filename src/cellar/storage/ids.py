"""Row ids: 32 hex digits, time-ordered (UUID version 7, RFC 9562 §5.7).

New rows then land at the end of their tables' and indexes' B-trees instead of on a random page of
each, so a write dirties (and a commit writes) a few pages rather than one per index."""

from __future__ import annotations

import os
import time


def new_id() -> str:
    """48 bits of Unix milliseconds, the version, 74 random bits and the variant."""
    value = (time.time_ns() // 1_000_000) << 80 | int.from_bytes(os.urandom(10))
    value = value & ~(0xF << 76) | 0x7 << 76  # version 7
    value = value & ~(0x3 << 62) | 0x2 << 62  # variant 10
    return f"{value:032x}"
