"""Drive Pythia: set it up from process settings and hand out converted events.

Kept apart from :mod:`hepreint.generate` (which writes files) so tests can look at Pythia's live
record next to what the converter made of it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import pyhepmc

from hepreint._version import __version__
from hepreint.errors import HepreintError
from hepreint.generate.convert import EventInfo, Record, prune_record, read_record, to_genevent
from hepreint.generate.processes import process_settings

#: mb (Pythia's cross-section unit) -> pb (HepMC's convention)
MB_TO_PB = 1e9
#: consecutive failed ``next()`` calls after which we give up (Pythia's own examples use 10)
MAX_ABORTS = 10


def import_pythia() -> Any:
    """Import ``pythia8mc`` lazily: generation is an optional extra, analyses do not need it."""
    try:
        import pythia8mc
    except ImportError as exc:
        raise HepreintError(
            "event generation needs Pythia 8 (module pythia8mc), which is not installed: "
            "pip install 'hepreint[generate]'"
        ) from exc
    return pythia8mc


@dataclass
class Converted:
    """One generated event: the record we built and the HepMC event made from it."""

    record: Record
    event: pyhepmc.GenEvent


class PythiaRun:
    """An initialised Pythia instance for one named process and seed."""

    def __init__(
        self,
        process: str,
        seed: int,
        params: Mapping[str, float] | None = None,
        *,
        prune: bool = False,
    ) -> None:
        self.process = process
        self.params = dict(params or {})
        self.seed = seed
        self.prune = prune
        self.settings = [line for line, _why in process_settings(process, seed, self.params)]
        pythia8mc = import_pythia()
        self.pythia = pythia8mc.Pythia("", False)  # no banner: library code prints nothing
        for line in self.settings:
            if not self.pythia.readString(line):
                raise HepreintError(f"Pythia rejected setting {line!r} (process {process})")
        if not self.pythia.init():
            raise HepreintError(
                f"Pythia failed to initialise process {process} with {self.params or 'defaults'}"
                "; check the masses against the kinematic thresholds"
            )
        self.version = f"{self.pythia.parm('Pythia:versionNumber'):.3f}"
        self.run_info = self._run_info()

    def _run_info(self) -> pyhepmc.GenRunInfo:
        info = self.pythia.infoPython()  # only valid after init(): before it segfaults
        ri = pyhepmc.GenRunInfo()
        ri.tools = [
            pyhepmc.GenRunInfo.ToolInfo("Pythia8", self.version, "event generator"),
            pyhepmc.GenRunInfo.ToolInfo("hepreint", __version__, "Pythia -> HepMC converter"),
        ]
        ri.weight_names = list(info.weightNameVector()) or ["Weight"]
        ri.attributes["hepreint_process"] = self.process
        params = " ".join(f"{k}={v:g}" for k, v in sorted(self.params.items()))
        ri.attributes["hepreint_params"] = params
        ri.attributes["hepreint_seed"] = self.seed
        ri.attributes["hepreint_pruned"] = int(self.prune)
        # one line, "; "-separated: HepMC3 3.1 readers do not take multi-line attributes
        ri.attributes["hepreint_settings"] = "; ".join(self.settings)
        return ri

    def next_record(self) -> Record:
        """Generate one event and return its (optionally pruned) record."""
        for _ in range(MAX_ABORTS):
            if self.pythia.next():
                rec = read_record(self.pythia.event)
                return prune_record(rec) if self.prune else rec
        raise HepreintError(
            f"Pythia failed {MAX_ABORTS} times in a row generating {self.process} "
            f"(seed {self.seed}); try another seed or report the settings"
        )

    def event_info(self, number: int) -> EventInfo:
        """Weights and the running cross-section estimate after the latest event."""
        info = self.pythia.infoPython()
        weights = list(info.weightValueVector()) or [info.weight()]
        return EventInfo(
            number=number,
            weights=weights,
            sigma_pb=info.sigmaGen() * MB_TO_PB,
            sigma_err_pb=info.sigmaErr() * MB_TO_PB,
            n_accepted=int(info.nAccepted()),
            n_tried=int(info.nTried()),
        )

    def events(self, n_events: int) -> Iterator[Converted]:
        """``n_events`` converted events, numbered from 0."""
        for number in range(n_events):
            rec = self.next_record()
            evt = to_genevent(rec, self.event_info(number), self.run_info)
            yield Converted(rec, evt)

    def sigma_pb(self) -> tuple[float, float]:
        """Pythia's cross-section estimate and its error so far, in pb."""
        info = self.pythia.infoPython()
        return info.sigmaGen() * MB_TO_PB, info.sigmaErr() * MB_TO_PB
