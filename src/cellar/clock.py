"""The one clock: milliseconds since the epoch, the unit Personium stamps everything in (tokens,
``__published``/``__updated``, ETags, DAV dates). Callers look it up as ``clock.now_ms`` so that a test
can freeze time in one place."""

from __future__ import annotations

import time


def now_ms() -> int:
    return int(time.time() * 1000)
