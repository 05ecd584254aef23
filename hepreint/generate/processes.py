"""Named benchmark processes -> Pythia 8 settings.

Each process is a function of its parameters returning Pythia ``readString`` lines; every line
carries a comment saying why it is there (names are those of the Pythia 8.3 manual pages
"Higgs Processes", "Top Processes", "Particle Data Scheme" and "Random-Number Seed").  The table
is small on purpose: it covers the signals and main backgrounds of the preserved analyses.

Cross sections that Pythia reports include the branching fractions of the forced decays of
resonances made in the hard process (H, W, Z, t, H2, A0), because Pythia rescales by the open
fraction of each resonance's width.  For the BSM scalars it is Pythia's generic two-Higgs-doublet
``H0``/``A0`` with default couplings and a forced narrow width, so the absolute number is a model
artefact: normalise resonance signals yourself.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from hepreint.errors import SpecError

#: Higgs-boson mass used throughout (GeV), the ATLAS/CMS combined value rounded as in the analyses.
MH = 125.0
#: Highest resonance mass we accept: the 13 TeV beam energy, with room for the partons' PDFs.
_M_MAX = 10000.0

Settings = list[tuple[str, str]]  # (Pythia line, why)


def _h_to(*products: int) -> Settings:
    ids = " ".join(str(p) for p in products)
    return [
        (f"25:m0 = {MH}", "SM Higgs mass used by the analyses"),
        ("25:onMode = off", "switch all h0 decays off ..."),
        (f"25:onIfMatch = {ids}", f"... then allow only h0 -> {ids} (forced decay)"),
    ]


def _ttH(p: Mapping[str, float]) -> Settings:
    return [
        ("HiggsSM:gg2Httbar = on", "g g -> h0 t tbar (manual: Higgs Processes, SM)"),
        ("HiggsSM:qqbar2Httbar = on", "q qbar -> h0 t tbar"),
        *_h_to(5, -5),
        # tops keep Pythia's default, inclusive t -> W b with W decaying inclusively
    ]


def _ttbar(p: Mapping[str, float]) -> Settings:
    return [
        ("Top:gg2ttbar = on", "g g -> t tbar (manual: Top Processes)"),
        ("Top:qqbar2ttbar = on", "q qbar -> t tbar; extra b/c come from the parton shower"),
    ]


def _vh(boson: str, quark: int) -> Callable[[Mapping[str, float]], Settings]:
    def settings(p: Mapping[str, float]) -> Settings:
        if boson == "W":
            v = [
                ("HiggsSM:ffbar2HW = on", "f fbar' -> h0 W+- (Higgs-strahlung)"),
                ("24:onMode = off", "switch all W decays off ..."),
                ("24:onIfAny = 11 13", "... then allow W -> e nu, mu nu (1-lepton channel)"),
            ]
        else:
            v = [
                ("HiggsSM:ffbar2HZ = on", "f fbar -> h0 Z0 (Higgs-strahlung)"),
                ("23:onMode = off", "switch all Z decays off ..."),
                (
                    "23:onIfAny = 11 13 12 14 16",
                    "... then allow Z -> ee, mumu (2-lepton) and nu nu (0-lepton channel)",
                ),
            ]
        return [*v, *_h_to(quark, -quark)]

    return settings


def _heavy_scalar(mx: float) -> Settings:
    return [
        ("Higgs:useBSM = on", "use the BSM (two-Higgs-doublet) Higgs sector (manual: Higgs)"),
        ("HiggsBSM:gg2H2 = on", "g g -> H2 (pdg 35, 'H0') through the top loop"),
        (f"35:m0 = {mx:g}", "resonance mass mX"),
        ("35:doForceWidth = on", "do not let Pythia recompute the width from couplings ..."),
        (f"35:mWidth = {0.001 * mx:g}", "... narrow resonance: width 0.1% of mX"),
        (f"35:mMin = {0.5 * mx:g}", "Breit-Wigner window, far outside the narrow peak"),
        (f"35:mMax = {1.5 * mx:g}", "Breit-Wigner window, far outside the narrow peak"),
        ("35:onMode = off", "switch all H2 decays off; the process opens one below"),
    ]


def _x_hh_4b(p: Mapping[str, float]) -> Settings:
    mx = p["mX"]
    if not 2 * MH < mx <= _M_MAX:
        raise SpecError(f"X_HH_4b: mX = {mx:g} GeV must lie in ({2 * MH:g}, {_M_MAX:g}] (X -> h h)")
    return [
        *_heavy_scalar(mx),
        ("35:onIfMatch = 25 25", "H2 -> h0 h0 only"),
        *_h_to(5, -5),
    ]


def _x_sh_bbyy(p: Mapping[str, float]) -> Settings:
    mx, ms = p["mX"], p["mS"]
    if not 2 * 4.8 < ms:
        raise SpecError(f"X_SH_bbyy: mS = {ms:g} GeV is below the S -> b bbar threshold (9.6)")
    if not ms + MH < mx <= _M_MAX:
        raise SpecError(
            f"X_SH_bbyy: mX = {mx:g} GeV must lie in (mS + {MH:g} = {ms + MH:g}, {_M_MAX:g}] "
            "(X -> S h needs mX > mS + mH)"
        )
    return [
        *_heavy_scalar(mx),
        (
            "35:addChannel = 1 1.0 100 25 36",
            "H2 -> h0 A0, the only open channel; A0 (pdg 36) plays S.  Pythia's own 25 36 channel "
            "has zero width (CP-conserving couplings), so add one with meMode 100: its width is "
            "mWidth x BR, independent of couplings",
        ),
        (f"36:m0 = {ms:g}", "S mass mS"),
        ("36:doForceWidth = on", "narrow S as well ..."),
        (f"36:mWidth = {0.001 * ms:g}", "... width 0.1% of mS"),
        (f"36:mMin = {max(0.5 * ms, 9.7):g}", "Breit-Wigner window, above the b bbar threshold"),
        (f"36:mMax = {1.5 * ms:g}", "Breit-Wigner window"),
        ("36:onMode = off", "switch all S decays off ..."),
        ("36:onIfMatch = 5 -5", "... then allow only S -> b bbar"),
        *_h_to(22, 22),
    ]


@dataclass(frozen=True)
class Process:
    """A named process: required parameters, a description and its settings builder."""

    name: str
    description: str
    params: tuple[str, ...]
    build: Callable[[Mapping[str, float]], Settings]


PROCESSES: dict[str, Process] = {
    p.name: p
    for p in (
        Process("ttH", "t tbar h, h -> b bbar, tops inclusive", (), _ttH),
        Process("ttbar", "t tbar inclusive (tt+jets background)", (), _ttbar),
        Process("WH_bb", "W(-> e/mu nu) h(-> b bbar)", (), _vh("W", 5)),
        Process("WH_cc", "W(-> e/mu nu) h(-> c cbar)", (), _vh("W", 4)),
        Process("ZH_bb", "Z(-> ee/mumu/nunu) h(-> b bbar)", (), _vh("Z", 5)),
        Process("ZH_cc", "Z(-> ee/mumu/nunu) h(-> c cbar)", (), _vh("Z", 4)),
        Process("X_HH_4b", "g g -> X(35) -> h h -> 4b; needs mX", ("mX",), _x_hh_4b),
        Process(
            "X_SH_bbyy",
            "g g -> X(35) -> S(36) h, S -> b bbar, h -> gamma gamma; needs mX, mS",
            ("mX", "mS"),
            _x_sh_bbyy,
        ),
    )
}
# Non-resonant SM HH (ggF) is not a Pythia 8 process; it needs an external matrix element.


def common_settings(seed: int) -> Settings:
    """Beams, seeding and silence, shared by every process."""
    if not 0 < seed < 900_000_000:
        raise SpecError(f"seed {seed} out of range: Pythia needs 0 < seed < 900000000")
    return [
        ("Beams:idA = 2212", "proton beam"),
        ("Beams:idB = 2212", "proton beam"),
        ("Beams:eCM = 13000.", "LHC Run 2 centre-of-mass energy (GeV)"),
        ("Random:setSeed = on", "use our seed, not the default one ..."),
        (f"Random:seed = {seed}", "... reproducible: same seed, same events"),
        ("Print:quiet = on", "library code prints nothing"),
        ("Next:numberCount = 0", "no progress lines"),
    ]


def lookup(name: str) -> Process:
    """The process called ``name``; SpecError with did-you-mean and the full list otherwise."""
    try:
        return PROCESSES[name]
    except KeyError:
        close = difflib.get_close_matches(name, list(PROCESSES), n=1, cutoff=0.5)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        known = ", ".join(PROCESSES)
        raise SpecError(f"unknown process {name!r}{hint}; known processes: {known}") from None


def process_settings(name: str, seed: int, params: Mapping[str, float] | None = None) -> Settings:
    """All (line, why) pairs for ``name``: common settings, then the process's own."""
    proc = lookup(name)
    given = dict(params or {})
    missing = [p for p in proc.params if p not in given]
    if missing:
        needed = " ".join(f"--param {p}=<GeV>" for p in missing)
        raise SpecError(f"process {name} needs parameter(s) {', '.join(missing)}: add {needed}")
    unknown = sorted(set(given) - set(proc.params))
    if unknown:
        allowed = ", ".join(proc.params) or "none"
        raise SpecError(
            f"process {name} does not take parameter(s) {', '.join(unknown)} (takes: {allowed})"
        )
    return [*common_settings(seed), *proc.build({k: float(v) for k, v in given.items()})]
