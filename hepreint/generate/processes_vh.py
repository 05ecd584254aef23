"""Pythia 8 settings of the VH(bb/cc) backgrounds (registered in ``processes.PROCESSES``).

The main backgrounds of ATLAS VH(bb/cc) (arXiv:2410.19611, arXiv:2007.02873) that Pythia 8 makes
at leading order: W+jets and Z+jets (one hard parton; the heavy flavour comes from the shower
and from the PDFs in q g -> V q), single top (t- and s-channel; Pythia 8 has no tW process), and
the diboson VZ with Z -> b bbar / c cbar (the analysis' validation signal).  Every line carries
the reason it is there (names from the Pythia 8.3 manual pages "Electroweak Processes", "Top
Processes" and "Particle Data Scheme").  Cross sections Pythia reports include the branching
fractions of the forced decays.  Kept out of ``processes.py`` so that file stays small.
"""

from __future__ import annotations

from collections.abc import Mapping

from hepreint.errors import SpecError

Settings = list[tuple[str, str]]  # (Pythia line, why), as in processes.py

#: default pT(hat) of W+jets (GeV): the 0/1-lepton pT(V) regions start at 150 GeV
#: (arXiv:2007.02873 Sec. 4, trust C); at LO pT(W) = pT(hat), 50 GeV of margin for the recoil
#: of initial-state radiation and the MET resolution
W_JETS_PTHAT = 100.0
#: default pT(hat) of Z+jets (GeV): the 2-lepton regions start at pT(Z) = 75 GeV (same source)
Z_JETS_PTHAT = 50.0
#: pT(hat) of the diboson sample (GeV): 0 = inclusive
VZ_PTHAT = 0.0


def _pthat(name: str, pt: float) -> tuple[str, str]:
    if not 0.0 <= pt < 6500.0:
        raise SpecError(f"{name}: pthat_min = {pt:g} GeV must lie in [0, 6500)")
    return (f"PhaseSpace:pTHatMin = {pt:g}", "pT of the hard 2 -> 2 process: at LO the boson pT")


def _w_leptonic() -> Settings:
    return [
        ("24:onMode = off", "switch all W decays off ..."),
        ("24:onIfAny = 11 13", "... then allow W -> e nu, mu nu (as the WH signal sample)"),
    ]


def w_jets(p: Mapping[str, float]) -> Settings:
    """W(-> e/mu nu) + one hard parton."""
    return [
        ("WeakBosonAndParton:qqbar2Wg = on", "q qbar' -> W g (manual: Electroweak Processes)"),
        ("WeakBosonAndParton:qg2Wq = on", "q g -> W q', the larger part, incl. s g -> W c"),
        _pthat("W_jets", p["pthat_min"]),
        *_w_leptonic(),
    ]


def z_jets(p: Mapping[str, float]) -> Settings:
    """Z(-> ee/mumu/nunu) + one hard parton (no gamma*: the Z alone)."""
    return [
        ("WeakBosonAndParton:qqbar2gmZg = on", "q qbar -> Z g (manual: Electroweak Processes)"),
        ("WeakBosonAndParton:qg2gmZq = on", "q g -> Z q, incl. b g -> Z b from the b PDF"),
        ("WeakZ0:gmZmode = 2", "the Z contribution only, no gamma* (the analyses sit on the Z)"),
        _pthat("Z_jets", p["pthat_min"]),
        ("23:onMode = off", "switch all Z decays off ..."),
        (
            "23:onIfAny = 11 13 12 14 16",
            "... then allow Z -> ee, mumu (2-lepton) and nu nu (0-lepton), as the ZH sample",
        ),
    ]


def single_top(p: Mapping[str, float]) -> Settings:
    """Single top, t- and s-channel, with a leptonic W in the top decay."""
    return [
        ("Top:qq2tq(t:W) = on", "t-channel q q' -> t q'' (manual: Top Processes)"),
        ("Top:ffbar2tqbar(s:W) = on", "s-channel q qbar' -> t bbar"),
        *_w_leptonic(),
        # Pythia 8 has no tW process: the Wt part of the ATLAS single-top background is missing
    ]


def vz(p: Mapping[str, float]) -> Settings:
    """WZ and ZZ with W -> e/mu nu and Z -> b bbar, c cbar, ll or nu nu (both Z of ZZ)."""
    return [
        ("WeakDoubleBoson:ffbar2ZW = on", "q qbar' -> Z W (manual: Electroweak Processes)"),
        ("WeakDoubleBoson:ffbar2gmZgmZ = on", "q qbar -> Z Z"),
        ("WeakZ0:gmZmode = 2", "Z only, no gamma* in Z Z"),
        _pthat("VZ", p["pthat_min"]),
        *_w_leptonic(),
        ("23:onMode = off", "switch all Z decays off ..."),
        (
            "23:onIfAny = 4 5 11 13 12 14 16",
            "... then Z -> c cbar, b bbar (the 'Higgs-like' Z) and ee, mumu, nu nu (the V); "
            "Z Z -> 4b or 4 leptons also occur, with their branching fractions",
        ),
    ]
