"""A tiny LHE file of gg -> tt̄ events for the LHE-input tests (written, not shipped).

The events are not a matrix-element sample: the tops get a flat polar angle and a partonic mass
from a falling spectrum. What matters is that they are valid LHE (momentum and colour
conserved, on-shell tops, the LHEF layout of hep-ph/0609017) that Pythia showers and
decays, and that ``pylhe`` reads.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

MT = 172.5
EBEAM = 6500.0
XSEC_PB = 450.0


def _line(pid: int, status: int, m1: int, m2: int, c1: int, c2: int, p: np.ndarray, m: float,
          spin: float = 9.0) -> str:  # fmt: skip
    px, py, pz, e = (f"{v:+.10e}" for v in p)
    return f"{pid:>9d} {status:>2d} {m1:>4d} {m2:>4d} {c1:>4d} {c2:>4d} {px} {py} {pz} {e} " \
           f"{m:+.10e} 0.0000e+00 {spin:.1f}"  # fmt: skip


def _boost(v: np.ndarray, e: float, beta: float, gamma: float) -> np.ndarray:
    """(px, py, pz, E) of a momentum ``v`` with energy ``e`` boosted along z."""
    return np.array([v[0], v[1], gamma * (v[2] + beta * e), gamma * (e + beta * v[2])])


def ttbar_lhe_text(n_events: int, seed: int = 1, weights: bool = True) -> str:
    rng = np.random.default_rng(seed)
    out = [
        '<LesHouchesEvents version="3.0">',
        "<header>",
        "<!-- written by tests/lhe_events.py for hepreint's tests -->",
        "<initrwgt>",
        '<weightgroup name="scale">',
        '<weight id="1001"> MUR=1.0 MUF=1.0 </weight>',
        '<weight id="1002"> MUR=2.0 MUF=2.0 </weight>',
        "</weightgroup>",
        "</initrwgt>",
        "</header>",
        "<init>",
        f"2212 2212 {EBEAM:.1f} {EBEAM:.1f} 0 0 247000 247000 3 1",
        f"{XSEC_PB:.6e} {XSEC_PB * 0.01:.6e} {XSEC_PB:.6e} 1",
        "</init>",
    ]
    for _ in range(n_events):
        shat = (2 * MT + rng.exponential(150.0)) ** 2
        tau = shat / (2 * EBEAM) ** 2
        ymax = -0.5 * math.log(tau)
        y = rng.uniform(-ymax, ymax) * 0.9
        x1, x2 = math.sqrt(tau) * math.exp(y), math.sqrt(tau) * math.exp(-y)
        g1 = np.array([0.0, 0.0, x1 * EBEAM, x1 * EBEAM])
        g2 = np.array([0.0, 0.0, -x2 * EBEAM, x2 * EBEAM])
        # tops back to back in the partonic frame, then boosted along z
        roots = math.sqrt(shat)
        p = math.sqrt(shat / 4 - MT * MT)
        cos, phi = rng.uniform(-1, 1), rng.uniform(0, 2 * math.pi)
        sin = math.sqrt(1 - cos * cos)
        q = np.array([p * sin * math.cos(phi), p * sin * math.sin(phi), p * cos])
        beta = (x1 - x2) / (x1 + x2)
        gamma = 1 / math.sqrt(1 - beta * beta)

        t, tbar = (_boost(v, roots / 2, beta, gamma) for v in (q, -q))
        w = 1.0
        scale = math.sqrt(MT * MT + q[0] ** 2 + q[1] ** 2)
        out += [
            "<event>",
            f"4 1 {w:+.7e} {scale:.7e} 7.546771e-03 1.180000e-01",
            _line(21, -1, 0, 0, 501, 502, g1, 0.0),
            _line(21, -1, 0, 0, 503, 501, g2, 0.0),
            _line(6, 1, 1, 2, 503, 0, t, MT),
            _line(-6, 1, 1, 2, 0, 502, tbar, MT),
        ]
        if weights:
            out += [
                "<rwgt>",
                f"<wgt id='1001'> {w:+.7e} </wgt>",
                f"<wgt id='1002'> {w * rng.uniform(0.8, 0.95):+.7e} </wgt>",
                "</rwgt>",
            ]
        out.append("</event>")
    out.append("</LesHouchesEvents>")
    return "\n".join(out) + "\n"


def write_ttbar_lhe(path: Path, n_events: int, seed: int = 1) -> Path:
    path.write_text(ttbar_lhe_text(n_events, seed))
    return path
