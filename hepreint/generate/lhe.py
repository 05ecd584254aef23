"""Shower Les Houches Event files with Pythia 8 into HepMC3, so that parton-level samples run.

Pythia reads the LHE file itself (``Beams:frameType = 4``) and adds initial- and final-state
showers, multiple interactions, hadronisation and decays with its default tune; the records go
through the same converter as generated samples (:mod:`hepreint.generate.convert`). The file is
checked first (:func:`hepreint.io.lhe.check_lhe`), because Pythia reports a damaged file
without a line. The seed is the run's (reproducible: same LHE file and seed, same events), and
the settings are written into the HepMC run info and returned, so results can record them.

Not applied: matching or merging (MLM, CKKW-L) of multi-jet samples, which need
sample-specific settings; pass them as ``settings`` (Pythia's own setting lines).
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pyhepmc

from hepreint._version import __version__
from hepreint.errors import HepreintError
from hepreint.generate.convert import EventInfo, read_record, to_genevent
from hepreint.generate.run import MAX_ABORTS, MB_TO_PB
from hepreint.io.detect import open_decompressed
from hepreint.io.lhe import LHEInfo, check_lhe, is_lhe

#: Pythia's seed range is 0 < seed < 900000000; larger run seeds are folded into it
PYTHIA_SEEDS = 899_999_999
INSTALL = 'pip install "hepreint[generate]"'


def pythia_seed(seed: int) -> int:
    """The Pythia seed used for run seed ``seed`` (the same one each time)."""
    return seed if 0 < seed <= PYTHIA_SEEDS else seed % PYTHIA_SEEDS + 1


def shower_settings(lhe: Path, seed: int, extra: Sequence[str] = ()) -> list[str]:
    return [
        "Beams:frameType = 4",
        f"Beams:LHEF = {lhe}",
        "Random:setSeed = on",
        f"Random:seed = {pythia_seed(seed)}",
        "Print:quiet = on",
        "Next:numberCount = 0",
        *extra,
    ]


@dataclass
class ShowerSummary:
    """What :func:`shower_lhe` did (goes into the results' provenance)."""

    lhe: str
    output: str
    n_events: int
    seed: int
    pythia_seed: int
    pythia_version: str
    settings: list[str]
    #: Pythia's cross-section after the last event, and the LHE header's (Σ XSECUP), in pb
    sigma_pb: float
    sigma_err_pb: float
    lhe_xsec_pb: float | None
    seconds: float
    warnings: list[str] = field(default_factory=list)

    def record(self) -> dict[str, Any]:
        return asdict(self)


def _pythia(lhe: Path) -> Any:
    try:
        import pythia8mc
    except ImportError:
        raise HepreintError(
            f"{lhe}: is an LHE file (parton level); showering it needs Pythia 8 (module "
            f"pythia8mc), which is not installed: {INSTALL}"
        ) from None
    return pythia8mc


def _run_info(version: str, names: list[str], lhe: Path, seed: int, settings: list[str]) -> Any:
    ri = pyhepmc.GenRunInfo()
    ri.tools = [
        pyhepmc.GenRunInfo.ToolInfo("Pythia8", version, "parton shower of an LHE file"),
        pyhepmc.GenRunInfo.ToolInfo("hepreint", __version__, "Pythia -> HepMC converter"),
    ]
    ri.weight_names = names or ["Weight"]
    ri.attributes["hepreint_lhe"] = str(lhe)
    ri.attributes["hepreint_seed"] = seed
    ri.attributes["hepreint_settings"] = "; ".join(settings)  # one line (HepMC3 3.1 readers)
    return ri


def shower_lhe(
    lhe: str | Path,
    output: str | Path,
    seed: int,
    *,
    max_events: int | None = None,
    settings: Sequence[str] = (),
    progress: Callable[[int], None] | None = None,
    checked: LHEInfo | None = None,
) -> ShowerSummary:
    """Shower the events of ``lhe`` (plain or compressed) into the HepMC3 file ``output``."""
    src = Path(lhe)
    info = checked or check_lhe(src)
    pythia8mc = _pythia(src)
    start = time.perf_counter()
    out = Path(output)
    with tempfile.TemporaryDirectory(prefix="hepreint-lhe-") as tmp:
        plain = src
        if info.compression != "none":  # Pythia reads gzip only if built with zlib
            plain = Path(tmp) / "events.lhe"
            with open_decompressed(src, info.compression) as f, plain.open("wb") as g:
                shutil.copyfileobj(f, g)
        lines = shower_settings(plain, seed, settings)
        pythia = pythia8mc.Pythia("", False)
        for line in lines:
            if not pythia.readString(line):
                raise HepreintError(f"{src}: Pythia rejected the setting {line!r}")
        if not pythia.init():
            raise HepreintError(f"{src}: Pythia could not initialise from this LHE file")
        version = f"{pythia.parm('Pythia:versionNumber'):.3f}"
        n, aborts, ri = 0, 0, None
        with pyhepmc.open(out, "w") as writer:
            while max_events is None or n < max_events:
                if not pythia.next():
                    if pythia.infoPython().atEndOfFile():
                        break
                    aborts += 1
                    if aborts >= MAX_ABORTS:
                        raise HepreintError(
                            f"{src}: Pythia failed on {MAX_ABORTS} events in a row (after "
                            f"{n} showered); check the events or the settings"
                        )
                    continue
                aborts = 0
                pi = pythia.infoPython()
                if ri is None:  # LHE weight names are known only after the first event
                    ri = _run_info(version, list(pi.weightNameVector()), src, seed, lines)
                ev = EventInfo(
                    number=n,
                    weights=list(pi.weightValueVector()) or [pi.weight()],
                    sigma_pb=pi.sigmaGen() * MB_TO_PB,
                    sigma_err_pb=pi.sigmaErr() * MB_TO_PB,
                    n_accepted=int(pi.nAccepted()),
                    n_tried=int(pi.nTried()),
                )
                writer.write(to_genevent(read_record(pythia.event), ev, ri))
                n += 1
                if progress is not None:
                    progress(n)
        pi = pythia.infoPython()
    if n == 0:
        raise HepreintError(f"{src}: Pythia showered no event of this LHE file")
    xs = info.xsec_pb
    return ShowerSummary(
        lhe=str(src), output=str(out), n_events=n, seed=seed, pythia_seed=pythia_seed(seed),
        pythia_version=version, settings=[s for s in lines if not s.startswith("Beams:LHEF")],
        sigma_pb=pi.sigmaGen() * MB_TO_PB, sigma_err_pb=pi.sigmaErr() * MB_TO_PB,
        lhe_xsec_pb=xs[0] if xs else None, seconds=time.perf_counter() - start,
        warnings=list(info.warnings),
    )  # fmt: skip


@contextmanager
def showered_inputs(
    files: Sequence[str | Path], seed: int, max_events: int | None = None
) -> Iterator[tuple[list[str], list[dict[str, Any]]]]:
    """The run's inputs with every LHE file replaced by its showered HepMC3 file (in a
    temporary directory removed afterwards), and what each shower did."""
    lhe = [f for f in files if is_lhe(f)]
    if not lhe:
        yield [str(f) for f in files], []
        return
    checked = {str(f): check_lhe(f) for f in lhe}  # every file before the first shower
    with tempfile.TemporaryDirectory(prefix="hepreint-shower-") as tmp:
        out, records = [], []
        for i, f in enumerate(files):
            if str(f) not in checked:
                out.append(str(f))
                continue
            target = Path(tmp) / f"{i}_{Path(f).name}.hepmc3"
            s = shower_lhe(f, target, seed, max_events=max_events, checked=checked[str(f)])
            out.append(str(target))
            records.append(s.record())
        yield out, records
