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
from dataclasses import dataclass, field

from hepreint.errors import SpecError
from hepreint.generate.processes_vh import (
    VZ_PTHAT,
    W_JETS_PTHAT,
    Z_JETS_PTHAT,
    single_top,
    vz,
    w_jets,
    z_jets,
)

#: Higgs-boson mass used throughout (GeV), the ATLAS/CMS combined value rounded as in the analyses.
MH = 125.0
#: Highest resonance mass we accept: the 13 TeV beam energy, with room for the partons' PDFs.
_M_MAX = 10000.0
#: default m(gamma gamma) window of yy_jets (GeV): the ATLAS H -> yy preselection window
#: 105-160 GeV (arXiv:2404.12915 Sec. 4, trust C) with 5 GeV margins for the photon resolution
YY_MHAT = (100.0, 165.0)
#: default pT(hat) of yy_jets (GeV): 0.25 x 105 GeV, the lowest subleading-photon pT an H -> yy
#: selection keeps (pT/m_yy > 0.25 in 105 < m_yy < 160 GeV); lower-pT photons never pass
YY_PTHAT = 25.0
#: default pT(hat) of y_jet (GeV): below the subleading photon's 0.25 x 105 GeV threshold
Y_JET_PTHAT = 20.0

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


#: default enhancement of FSR g -> b bbar in ttbar_hf (g -> c cbar: 1, not enhanced), chosen on
#: measured samples, see :func:`_ttbar_hf`
HF_ENHANCE = 8.0
HF_ENHANCE_C = 1.0


def _ttbar_hf(p: Mapping[str, float]) -> Settings:
    """tt̄ with Pythia's "enhanced splittings" (manual: Automated Variations of Shower
    Parameters ..., section "Enhanced rate of rare shower splittings", after Lonnblad,
    arXiv:1211.7204): FSR g -> b bbar (``enhance``) and g -> c cbar (``enhance_c``) are made
    that many times likelier and every event carries the compensating weight in
    Info::weight(), which the converter writes as the nominal HepMC weight.  The shower keeps
    the inclusive cross section, so sigma stays that of ttbar; weighted distributions are
    those of ttbar, unweighted ones are rich in tt+b.  Only FSR has heavy-flavour keywords
    (fsr:G2BB, fsr:G2CC); isr:G2QQ is for light quarks (same manual section).

    Measured (Pythia 8.317, pruned, 300-event runs, ``ttbar_hf`` object kind; 2026-12-02): tt+>=1b
    is 4.2% of ttbar (600 events); enhance 4 gives 8.8% unweighted (600 events, Neff/N =
    (sum w)^2 / (N sum w^2) = 0.88-0.90, w in [0.06, 2.7]), enhance 8 gives 17.3% (900 events,
    Neff/N 0.65-0.72, w in [0.0003, 7.2]) while the weighted fractions stay those of ttbar
    within statistics; the effective (weighted) number of tt+>=1b events per generated event
    is ~1.7x that of ttbar at 8.  Enhancing g -> c cbar too (tt+>=1c is already 10-16% of
    ttbar) cost much more: enhance 4 on both gave Neff/N 0.39, 8 on both 0.16.  Generation
    speed is that of ttbar (same CPU time per event to within 5%)."""
    factors = {"G2BB": p["enhance"], "G2CC": p["enhance_c"]}
    for name, value in factors.items():
        if not 1.0 <= value <= 100.0:
            key = "enhance" if name == "G2BB" else "enhance_c"
            raise SpecError(f"ttbar_hf: {key} = {value:g} must lie in [1, 100]")
    enhanced = ",".join(f"fsr:{k}={v:g}" for k, v in factors.items() if v != 1.0)
    if not enhanced:
        return _ttbar(p)
    return [
        *_ttbar(p),
        ("Enhancements:doEnhance = on", "enhanced shower splittings, compensated by a weight"),
        (f"EnhancedSplittings:List = {{{enhanced}}}", "FSR g -> b bbar (c cbar) x the factor"),
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


def _diphoton(p: Mapping[str, float]) -> Settings:
    """The continuum gamma gamma (+ jets from the shower) under every H -> gamma gamma search.

    The mass window keeps the sample where the analyses look (105 < m_yy < 160 GeV is the ATLAS
    H -> yy preselection window); the default window is a little wider so that resolution does
    not carve the edges."""
    lo, hi, pt = p["mhat_min"], p["mhat_max"], p["pthat_min"]
    if not 10.0 <= lo < hi:
        raise SpecError(f"yy_jets: need 10 <= mhat_min < mhat_max (got {lo:g}, {hi:g})")
    if not 0.0 <= pt < hi / 2:
        raise SpecError(f"yy_jets: pthat_min = {pt:g} GeV must lie in [0, mhat_max/2)")
    return [
        (f"PhaseSpace:pTHatMin = {pt:g}", "photon pT in the hard process: below the analyses' "
         "subleading-photon threshold, it keeps the sample where photons can be selected"),
        ("PromptPhoton:ffbar2gammagamma = on", "q qbar -> gamma gamma (manual: Prompt Photon)"),
        ("PromptPhoton:gg2gammagamma = on", "g g -> gamma gamma through the quark box"),
        (f"PhaseSpace:mHatMin = {lo:g}", "m(gamma gamma) of the hard process, lower edge"),
        (f"PhaseSpace:mHatMax = {hi:g}", "m(gamma gamma) of the hard process, upper edge"),
    ]


def _photon_jet(p: Mapping[str, float]) -> Settings:
    """Prompt gamma + jet: the second photon is a jet or a hadron-decay photon (a fake)."""
    pt = p["pthat_min"]
    if not pt >= 5.0:
        raise SpecError(f"y_jet: pthat_min = {pt:g} GeV must be >= 5")
    return [
        ("PromptPhoton:qg2qgamma = on", "q g -> q gamma (manual: Prompt Photon)"),
        ("PromptPhoton:qqbar2ggamma = on", "q qbar -> g gamma"),
        (f"PhaseSpace:pTHatMin = {pt:g}", "pT of the hard process: the photon's pT scale"),
    ]


def _h_yy(mode: str) -> Callable[[Mapping[str, float]], Settings]:
    """SM Higgs production with h -> gamma gamma: the resonant background of m_yy searches."""
    lines = {
        "ggH": [("HiggsSM:gg2H = on", "g g -> h0 (manual: Higgs Processes, SM)")],
        "ttH": [
            ("HiggsSM:gg2Httbar = on", "g g -> h0 t tbar"),
            ("HiggsSM:qqbar2Httbar = on", "q qbar -> h0 t tbar"),
        ],
        "ZH": [("HiggsSM:ffbar2HZ = on", "f fbar -> h0 Z0, Z inclusive")],
    }[mode]

    def settings(p: Mapping[str, float]) -> Settings:
        return [*lines, *_h_to(22, 22)]

    return settings


@dataclass(frozen=True)
class Process:
    """A named process: required parameters, a description and its settings builder."""

    name: str
    description: str
    params: tuple[str, ...]
    build: Callable[[Mapping[str, float]], Settings]
    #: optional parameters and their defaults
    defaults: Mapping[str, float] = field(default_factory=dict)


PROCESSES: dict[str, Process] = {
    p.name: p
    for p in (
        Process("ttH", "t tbar h, h -> b bbar, tops inclusive", (), _ttH),
        Process("ttbar", "t tbar inclusive (tt+jets background)", (), _ttbar),
        Process(
            "ttbar_hf",
            f"t tbar, FSR g -> b bbar x enhance (default {HF_ENHANCE:g}), g -> c cbar x "
            f"enhance_c (default {HF_ENHANCE_C:g}); weighted events",
            (),
            _ttbar_hf,
            {"enhance": HF_ENHANCE, "enhance_c": HF_ENHANCE_C},
        ),
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
        Process(
            "yy_jets",
            "continuum gamma gamma (+ shower jets), mhat_min < m_yy < mhat_max "
            f"(default {YY_MHAT[0]:g}-{YY_MHAT[1]:g} GeV)",
            (),
            _diphoton,
            {"mhat_min": YY_MHAT[0], "mhat_max": YY_MHAT[1], "pthat_min": YY_PTHAT},
        ),
        Process(
            "y_jet",
            f"prompt gamma + jet, pT(hat) > pthat_min (default {Y_JET_PTHAT:g} GeV)",
            (),
            _photon_jet,
            {"pthat_min": Y_JET_PTHAT},
        ),
        Process("ggH_yy", "g g -> h, h -> gamma gamma", (), _h_yy("ggH")),
        Process("ttH_yy", "t tbar h, h -> gamma gamma, tops inclusive", (), _h_yy("ttH")),
        Process("ZH_yy", "Z h, h -> gamma gamma, Z inclusive", (), _h_yy("ZH")),
        # HH4b issue: a labelled STAND-IN for non-resonant HH -> 4b (analyses/HH4b/README.md)
        Process(
            "HH_4b_broad",
            "STAND-IN for non-resonant HH -> 4b (not SM HH): g g -> X(35) -> h h -> 4b with a "
            "broad X (width, mmin-mmax; defaults mX 450, width 450, 251-1500 GeV)",
            (),
            lambda p: [
                *(
                    s
                    for s in _heavy_scalar(p["mX"])
                    if s[0].split("=")[0].strip() not in ("35:mWidth", "35:mMin", "35:mMax")
                ),
                (f"35:mWidth = {p['width']:g}", "broad X: a continuum in m_HH, not a resonance"),
                (f"35:mMin = {p['mmin']:g}", "m_HH range, lower edge (above the h h threshold)"),
                (f"35:mMax = {p['mmax']:g}", "m_HH range, upper edge"),
                ("35:onIfMatch = 25 25", "H2 -> h0 h0 only"),
                *_h_to(5, -5),
            ],
            {"mX": 450.0, "width": 450.0, "mmin": 251.0, "mmax": 1500.0},
        ),
        # VH(bb/cc) issue: its main backgrounds (hepreint/generate/processes_vh.py)
        Process(
            "W_jets",
            f"W(-> e/mu nu) + parton, pT(hat) > pthat_min (default {W_JETS_PTHAT:g} GeV)",
            (),
            w_jets,
            {"pthat_min": W_JETS_PTHAT},
        ),
        Process(
            "Z_jets",
            f"Z(-> ee/mumu/nunu) + parton, pT(hat) > pthat_min (default {Z_JETS_PTHAT:g} GeV)",
            (),
            z_jets,
            {"pthat_min": Z_JETS_PTHAT},
        ),
        Process("single_top", "single top, t- and s-channel (no tW), W -> e/mu nu", (), single_top),
        Process(
            "VZ",
            "WZ + ZZ, W -> e/mu nu, Z -> bb/cc/ll/nunu (VZ(bb/cc) validation); pthat_min "
            f"(default {VZ_PTHAT:g})",
            (),
            vz,
            {"pthat_min": VZ_PTHAT},
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
    unknown = sorted(set(given) - set(proc.params) - set(proc.defaults))
    if unknown:
        allowed = ", ".join((*proc.params, *proc.defaults)) or "none"
        raise SpecError(
            f"process {name} does not take parameter(s) {', '.join(unknown)} (takes: {allowed})"
        )
    given = {**proc.defaults, **given}
    return [*common_settings(seed), *proc.build({k: float(v) for k, v in given.items()})]
