"""The one source of run defaults: the CLI's ``run`` and ``validate`` and the Python API all
build a :class:`RunOptions`, so a default changes in one place."""

from __future__ import annotations

import math
from dataclasses import dataclass

from hepreint.errors import HepreintError

EXECUTORS = ("serial", "processes", "dask")
READERS = ("fast", "pyhepmc")


@dataclass(frozen=True)
class RunOptions:
    xsec_pb: float | None = None
    lumi_fb: float | None = None
    max_events: int | None = None
    skip: int = 0
    batch_size: int = 1000
    seed: int = 12345
    executor: str = "serial"
    workers: int = 2
    #: address of a running dask.distributed scheduler (``tcp://host:8786``); None: a local one
    scheduler: str | None = None
    skip_bad_events: bool = False
    #: "fast" (hepreint.io.fast, HepMC3; identical to pyhepmc, tested) or "pyhepmc" (reference)
    reader: str = "fast"
    #: show a progress bar on stderr (only when stderr is a terminal)
    progress: bool = False
    command: str = ""
    #: detector responses to apply in one pass (card names, "truth", "none"); empty: each
    #: analysis' own default (``detector.default`` in analysis.yaml)
    detectors: tuple[str, ...] = ()
    #: "direct" or "truth" flavour tagging; None: each analysis' own choice
    tagging: str | None = None
    #: name of the nominal weight; None: Rivet's rule (unnamed, WEIGHT, 0, DEFAULT, NOMINAL,
    #: else the first), see :func:`hepreint.io.weights.choose_nominal`
    nominal_weight: str | None = None

    def check(self) -> None:
        for name, v in (("--xsec", self.xsec_pb), ("--lumi", self.lumi_fb)):
            if v is not None and not (math.isfinite(v) and v > 0):
                raise HepreintError(f"{name} {v}: must be a positive finite number")
        if self.executor not in EXECUTORS:
            raise HepreintError(
                f"unknown executor {self.executor!r}; choose one of {', '.join(EXECUTORS)}"
            )
        if self.reader not in READERS:
            raise HepreintError(
                f"unknown reader {self.reader!r}; choose one of {', '.join(READERS)}"
            )
        if self.batch_size < 1 or self.workers < 1 or self.skip < 0:
            raise HepreintError("--batch-size and --workers must be >= 1 and --skip >= 0")
        if self.tagging is not None and self.tagging not in ("direct", "truth"):
            raise HepreintError(f"--tagging {self.tagging!r}: choose direct or truth")
        if len(set(self.detectors)) != len(self.detectors):
            raise HepreintError(f"--detector {','.join(self.detectors)}: a detector is named twice")
        if self.scheduler and self.executor != "dask":
            raise HepreintError("--scheduler needs --executor dask")
