"""A progress bar on stderr (events, events/s, and the ETA when the number of events is known),
shown only when stderr is a terminal: CI logs and pipes stay clean, ``-q`` turns it off."""

from __future__ import annotations

import sys
from typing import Any


class Progress:
    def __init__(self, enabled: bool, total: int | None, label: str = "events") -> None:
        self.bar: Any = None
        if enabled and sys.stderr.isatty():
            from tqdm import tqdm

            self.bar = tqdm(
                total=total, unit=" ev", desc=label, file=sys.stderr, dynamic_ncols=True,
                smoothing=0.1, leave=False,
            )  # fmt: skip

    @property
    def shown(self) -> bool:
        return self.bar is not None

    def update(self, n: int) -> None:
        if self.bar is not None and n:
            self.bar.update(n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
