"""Leading-order gg → HH in bins of the generated m_HH and cos θ*: the SM spectrum and the κλ
dependence per bin, to reweight HH samples (columnar; no per-event loop).

Numbers: the bin-by-bin LO table ``coefficientsByBin_klkt.txt`` of the CMS HH analytical model
(github.com/cms-hh/HHStatAnalysis, as kept in github.com/ResonantHbbHgg/bbggLimits
@15ed3bb1be056ec0d81fa403db39684546462ee0 HHStatAnalysis/AnalyticalModels/data/; its README:
bins in generated m_HH [250, 270, 300, 330, 360, 390, 420, 450, 500, 550, 600, 700, 800, 1000]
GeV and cos θ* [−1, −0.55, 0.55, 1]; columns n_SM (SM events of a 3M-event LO simulation, in
units of 10k) and the coefficients A1, A3, A7 of dσ(κλ, κt) ∝ A1 κt⁴ + A3 κt² κλ² + A7 κλ κt³,
numbered as in arXiv:1608.06578; the SM sample as in arXiv:1507.02245). Trust B: a secondary
source (analysis code), not a paper table. hepreint reads the numbers, not the code.

Conventions here (our choices): κt = 1; per bin the ratio r(κλ) = (A1 + A7 κλ + A3 κλ²) /
(A1 + A7 + A3), which is 1 at the SM by construction (the fitted coefficients do not sum to
exactly 1 in every bin); m_HH above 1000 GeV uses the last bin, below 250 GeV the first; cos θ*
is that of the first Higgs boson in the HH rest frame with respect to the beam (z) axis.
"""

from __future__ import annotations

from typing import Any

import numpy as np

#: generated m_HH bin edges (GeV); the last bin also takes m_HH > 1000 GeV
MHH_EDGES = np.array([250, 270, 300, 330, 360, 390, 420, 450, 500, 550, 600, 700, 800, 1000.0])
#: cos θ* bin edges
COST_EDGES = np.array([-1.0, -0.55, 0.55, 1.0])
SOURCE = (
    "LO gg->HH per (m_HH, cos theta*) bin: coefficientsByBin_klkt.txt of the CMS HH analytical "
    "model (github.com/ResonantHbbHgg/bbggLimits @15ed3bb1 HHStatAnalysis/AnalyticalModels/data; "
    "arXiv:1507.02245, arXiv:1608.06578), trust B"
)

# (n_SM, A1, A3, A7) per m_HH bin (rows) and cos θ* bin (-0.775, 0, 0.775)
_TABLE = np.array([
    [[4.22333, 28.3796, 18.9353, -45.4396], [10.6567, 27.2661, 18.5643, -45.2901], [4.54, 26.8925, 18.1161, -45.3263]],  # noqa: E501
    [[38.0233, 8.17105, 3.6881, -11.118], [91.8267, 8.46627, 3.70836, -11.1197], [38.8033, 7.85983, 3.55059, -10.6883]],  # noqa: E501
    [[96.83, 4.00111, 1.12463, -4.27946], [232.117, 4.07268, 1.14899, -4.33503], [95.9533, 4.08317, 1.12321, -4.24743]],  # noqa: E501
    [[203.34, 2.62704, 0.431094, -2.08822], [485.783, 2.67166, 0.447159, -2.1859], [202.777, 2.65249, 0.442748, -2.15781]],  # noqa: E501
    [[328.077, 2.09926, 0.231891, -1.38746], [786.55, 2.10907, 0.238663, -1.41092], [327.747, 2.09789, 0.230412, -1.38315]],  # noqa: E501
    [[333.307, 1.87709, 0.1647, -1.08459], [800.16, 1.86853, 0.168871, -1.10055], [333.56, 1.84029, 0.165319, -1.08691]],  # noqa: E501
    [[288.46, 1.71182, 0.123441, -0.892049], [689.883, 1.73304, 0.130422, -0.912632], [290.697, 1.70202, 0.122938, -0.882458]],  # noqa: E501
    [[359.207, 1.58579, 0.0983629, -0.754391], [843.33, 1.63403, 0.101853, -0.775321], [360.257, 1.55304, 0.101538, -0.76819]],  # noqa: E501
    [[233.787, 1.49939, 0.0752207, -0.633372], [537.073, 1.53093, 0.0775351, -0.641182], [233.54, 1.52018, 0.0789368, -0.659006]],  # noqa: E501
    [[149.677, 1.40131, 0.058098, -0.539413], [335.35, 1.41485, 0.0679681, -0.576768], [148.777, 1.43873, 0.0601584, -0.553576]],  # noqa: E501
    [[154.107, 1.34334, 0.0486414, -0.475867], [334.12, 1.35629, 0.0532058, -0.492987], [153.467, 1.38759, 0.0491314, -0.485207]],  # noqa: E501
    [[63.9967, 1.32218, 0.0259943, -0.354202], [132.327, 1.31153, 0.0390824, -0.400234], [64.02, 1.26301, 0.0359608, -0.391412]],  # noqa: E501
    [[40.6533, 1.20739, 0.0158255, -0.272352], [80.6533, 1.26741, 0.0283419, -0.324628], [41.1267, 1.2204, 0.027894, -0.336964]],  # noqa: E501
])  # fmt: skip


def _bins(m_hh: Any, cos_theta: Any) -> tuple[np.ndarray, np.ndarray]:
    m = np.asarray(m_hh, dtype=np.float64)
    c = np.asarray(cos_theta, dtype=np.float64)
    im = np.clip(np.searchsorted(MHH_EDGES, m, side="right") - 1, 0, len(MHH_EDGES) - 2)
    ic = np.clip(np.searchsorted(COST_EDGES, c, side="right") - 1, 0, len(COST_EDGES) - 2)
    return im, ic


def sm_mhh_fractions() -> np.ndarray:
    """Fraction of LO SM gg → HH events in each m_HH bin (cos θ* summed)."""
    n = _TABLE[:, :, 0].sum(axis=1)
    return n / n.sum()


def kl_basis(m_hh: Any, cos_theta: Any) -> np.ndarray:
    """Per event (c0, c1, c2) with r(κλ) = c0 + c1 κλ + c2 κλ² the LO dσ(κλ)/dσ(SM) of its bin,
    normalised to r(1) = 1; shape (n, 3)."""
    im, ic = _bins(m_hh, cos_theta)
    a1, a3, a7 = (_TABLE[im, ic, k] for k in (1, 2, 3))
    norm = a1 + a3 + a7
    return np.stack([a1 / norm, a7 / norm, a3 / norm], axis=1)


def lo_total_quadratic() -> tuple[float, float, float]:
    """σ_LO(κλ)/σ_LO(SM) = t0 + t1 κλ + t2 κλ² implied by the table and our r(1) = 1 convention:
    the SM bin fractions times each bin's (c0, c1, c2)."""
    frac = _TABLE[:, :, 0] / _TABLE[:, :, 0].sum()
    norm = _TABLE[:, :, 1] + _TABLE[:, :, 2] + _TABLE[:, :, 3]
    t0 = float((frac * _TABLE[:, :, 1] / norm).sum())
    t1 = float((frac * _TABLE[:, :, 3] / norm).sum())
    t2 = float((frac * _TABLE[:, :, 2] / norm).sum())
    return t0, t1, t2


def weights_to_sm(m_hh: Any) -> np.ndarray:
    """Per-event weights that make a sample's m_HH histogram (in ``MHH_EDGES``, the last bin
    open) the LO SM one, normalised to the number of events: w = f_SM(bin) / f_sample(bin).
    Bins the sample leaves empty cannot be filled (their SM fraction is lost; the rest is
    renormalised); this is reported by :func:`empty_sm_fraction`."""
    im, _ = _bins(m_hh, np.zeros(np.shape(m_hh)))
    n = len(im)
    counts = np.bincount(im, minlength=len(MHH_EDGES) - 1).astype(np.float64)
    f_sm = sm_mhh_fractions()
    f_sm = np.where(counts > 0, f_sm, 0.0)
    f_sm = f_sm / f_sm.sum()
    return f_sm[im] * n / counts[im]


def empty_sm_fraction(m_hh: Any) -> float:
    """SM fraction in the m_HH bins the sample does not populate (lost by :func:`weights_to_sm`)."""
    im, _ = _bins(m_hh, np.zeros(np.shape(m_hh)))
    counts = np.bincount(im, minlength=len(MHH_EDGES) - 1)
    return float(sm_mhh_fractions()[counts == 0].sum())


def cos_theta_star(h1: Any, h2: Any) -> np.ndarray:
    """cos θ* of ``h1`` in the h1 + h2 rest frame w.r.t. the z axis (vector Momentum4D arrays)."""
    hh = h1 + h2
    return np.asarray((h1.boostCM_of(hh)).costheta, dtype=np.float64)


#: weight names written by :func:`reweight_file`: nominal (LO SM m_HH) and the κλ basis
WEIGHT_NAMES = ("NOMINAL", "KL_C0", "KL_C1", "KL_C2")


def _higgs_pair(event: Any) -> tuple[Any, Any] | None:
    """The two last-copy h bosons (pdg 25) of a pyhepmc event, in record order."""

    def is_last(p: Any) -> bool:
        return not (p.end_vertex and any(c.pid == 25 for c in p.end_vertex.particles_out))

    last = [p for p in event.particles if p.pid == 25 and is_last(p)]
    return (last[0], last[1]) if len(last) >= 2 else None


def reweight_file(source: str, output: str) -> dict[str, Any]:
    """Copy a HepMC3 file of gg → HH events with weights ``WEIGHT_NAMES``: NOMINAL = the input
    weight × :func:`weights_to_sm` (the sample's m_HH made LO SM), KL_Cj = NOMINAL × c_j of
    :func:`kl_basis`, so that Σ over (KL_C0 + κλ KL_C1 + κλ² KL_C2) is the LO κλ prediction.
    Reads the file twice (a reader's per-event loop: the Higgs momenta, then the copy)."""
    import pyhepmc
    import vector

    from hepreint.errors import InputError

    mom: list[tuple[float, ...]] = []
    with pyhepmc.open(source) as f:
        for ev in f:
            pair = _higgs_pair(ev)
            if pair is None:
                raise InputError(
                    f"{source}: event {ev.event_number} has no two h bosons (pdg 25); "
                    "reweight gg -> HH samples only"
                )
            mom.append(tuple(c for p in pair for c in (p.momentum.x, p.momentum.y,
                                                          p.momentum.z, p.momentum.e)))  # fmt: skip
    m = np.array(mom)
    h1: Any = vector.array({"px": m[:, 0], "py": m[:, 1], "pz": m[:, 2], "E": m[:, 3]})
    h2 = vector.array({"px": m[:, 4], "py": m[:, 5], "pz": m[:, 6], "E": m[:, 7]})
    m_hh = np.asarray((h1 + h2).mass, dtype=np.float64)
    w_sm = weights_to_sm(m_hh)
    basis = kl_basis(m_hh, cos_theta_star(h1, h2))
    table = np.column_stack([w_sm, w_sm[:, None] * basis])
    ri = pyhepmc.GenRunInfo()
    ri.weight_names = list(WEIGHT_NAMES)
    with pyhepmc.open(source) as f, pyhepmc.open(output, "w") as out:
        for i, ev in enumerate(f):
            w0 = ev.weights[0] if len(ev.weights) else 1.0
            ev.run_info = ri
            ev.weights = [float(w0 * x) for x in table[i]]
            out.write(ev)
    return {
        "events": len(m_hh),
        "empty_sm_fraction": empty_sm_fraction(m_hh),
        "lo_total_quadratic": lo_total_quadratic(),
        "source": SOURCE,
        "weight_names": list(WEIGHT_NAMES),
    }


if __name__ == "__main__":  # python -m hepreint.generate.hh_reweight IN.hepmc3.gz OUT.hepmc3.gz
    import json
    import sys

    sys.stdout.write(json.dumps(reweight_file(sys.argv[1], sys.argv[2]), indent=1) + "\n")
