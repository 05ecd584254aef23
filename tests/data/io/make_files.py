"""Regenerate the small HepMC files of the io tests: ``python tests/data/io/make_files.py``.

Well-formed files are written with pyhepmc's writers from one hand-built event topology whose
mothers are known (see ``EXPECTED_PARENTS``); files imitating older generators and broken files
are hand-written text, because no current writer produces them.
"""

from __future__ import annotations

import math
from pathlib import Path

import pyhepmc
from pyhepmc import FourVector, GenEvent, GenParticle, GenVertex

HERE = Path(__file__).resolve().parent

# particle: (pid, status); one vertex per group of siblings, listed in the order HepMC2 writes
# them (vertex by vertex), so that the HepMC2 and HepMC3 files hold the same particle order
TOPOLOGY = [
    (2212, 4),  # 0 beam
    (2212, 4),  # 1 beam
    (21, 21),  # 2 gluon from beams (first mother: 0)
    (21, 21),  # 3 gluon from beams
    (25, 22),  # 4 Higgs from g g (first mother: 2)
    (6, 22),  # 5 top
    (-6, 22),  # 6 antitop
    (5, 1),  # 7 b from H
    (-5, 1),  # 8 bbar from H
    (24, 22),  # 9 W+ from t
    (5, 1),  # 10 b from t
    (-13, 1),  # 11 mu+ from W
    (14, 1),  # 12 nu_mu from W
]
EXPECTED_PARENTS = [-1, -1, 0, 0, 2, 2, 2, 4, 4, 5, 5, 9, 9]
#: vertices: (incoming particles) -> outgoing particles
VERTICES = {(0, 1): [2, 3], (2, 3): [4, 5, 6], (4,): [7, 8], (5,): [9, 10], (9,): [11, 12]}
WEIGHT_NAMES = ["nominal", "muR=2", "muR=0.5"]
N_EVENTS = 3


def momentum(i: int, k: int) -> tuple[float, float, float, float]:
    """Deterministic, distinct four-momenta (GeV); beams along z."""
    if i < 2:
        pz = 6500.0 if i == 0 else -6500.0
        return 0.0, 0.0, pz, 6500.0
    px, py, pz = 10.0 * i + k, -3.0 * i + 0.5 * k, 7.0 * (i - 6) + k
    mass = 0.1 * i
    return px, py, pz, math.sqrt(px * px + py * py + pz * pz + mass * mass)


def build_event(k: int, unit: float = 1.0) -> GenEvent:
    units = pyhepmc.Units.GEV if unit == 1.0 else pyhepmc.Units.MEV
    evt = GenEvent(units, pyhepmc.Units.MM)
    evt.event_number = k + 1
    particles = []
    for i, (pid, status) in enumerate(TOPOLOGY):
        p = GenParticle(FourVector(*(unit * x for x in momentum(i, k))), pid, status)
        particles.append(p)
        evt.add_particle(p)  # fixes the order: ids follow TOPOLOGY
    for ins, outs in VERTICES.items():
        v = GenVertex()
        for i in ins:
            v.add_particle_in(particles[i])
        for o in outs:
            v.add_particle_out(particles[o])
        evt.add_vertex(v)
    evt.weights = [1.0 + k, 0.5 + k, 2.0 + k]
    cs = pyhepmc.GenCrossSection()
    cs.set_cross_section(0.5 + 0.1 * k, 0.01)
    evt.cross_section = cs
    return evt


def write_pyhepmc() -> None:
    run = pyhepmc.GenRunInfo()
    run.weight_names = WEIGHT_NAMES
    run.tools = [pyhepmc.GenRunInfo.ToolInfo("hand-built", "1.0", "hepreint io tests")]
    pyhepmc.Setup.print_warnings = False  # WriterAsciiHepMC2 warns that HepMC2 is outdated
    for name, fmt, unit in [
        ("tth_v3.hepmc", "hepmc3", 1.0),
        ("tth_v2.hepmc", "hepmc2", 1.0),
        ("tth_v3_mev.hepmc", "hepmc3", 1000.0),
    ]:
        with pyhepmc.open(HERE / name, "w", format=fmt) as f:
            for k in range(N_EVENTS):
                evt = build_event(k, unit)
                evt.run_info = run
                f.write(evt)


HEPMC2_HEADER = "HepMC::Version 2.06.09\nHepMC::IO_GenEvent-START_EVENT_LISTING\n"
HEPMC2_FOOTER = "HepMC::IO_GenEvent-END_EVENT_LISTING\n\n"


def _p2(barcode: int, pid: int, p: tuple[float, ...], m: float, status: int, end: int) -> str:
    momenta = " ".join(f"{x:.6e}" for x in (*p, m))
    return f"P {barcode} {pid} {momenta} {status} 0 0 {end} 0"


def pythia6_event(k: int) -> str:
    """IO_GenEvent as written by HepMC 2.03-era Pythia 6: no U/C/N lines, two unnamed weights,
    a PDF (F) line and a heavy-ion (H) line."""
    lines = [
        f"E {k + 1} 12 9.1e+01 7.8e-03 1.3e-01 11 -3 3 10001 10002 0 2 {1.0 + k:.6e} {0.25:.6e}",
        "H 0 0 0 0 0 0 0 0 0 0.0e+00 0.0e+00 0.0e+00 0.0e+00",
        "F 21 21 1.0e-02 2.0e-02 9.1e+01 1.0e+00 1.0e+00 0 0",
        "V -1 0 0 0 0 0 2 3 0",
        _p2(10001, 2212, (0, 0, 7000.0, 7000.0), 0.938, 2, -1),
        _p2(10002, 2212, (0, 0, -7000.0, 7000.0), 0.938, 2, -1),
        _p2(10003, 23, (1.0 + k, 2.0, 30.0, 100.0), 91.0, 2, -2),
        _p2(10004, 211, (0.5, -0.5, 10.0, 10.1), 0.1396, 1, 0),
        _p2(10005, 22, (-1.0, 0.3, -5.0, 5.1), 0.0, 1, 0),
        "V -2 0 0 0 0 0 0 2 0",
        _p2(10006, 13, (10.0, 0.0, 20.0, 40.0), 0.1057, 1, 0),
        _p2(10007, -13, (-9.0, 2.0, 10.0, 60.0), 0.1057, 1, 0),
        "V -3 0 0 0 0 0 0 0 0",
    ]
    return "\n".join(lines) + "\n"


def epos_event(k: int, n_nucleons: int = 6) -> str:
    """Heavy-ion style: many vertices, an H line, MEV units, no weights at all."""
    lines = [
        f"E {k} -1 -1.0e+00 -1.0e+00 -1.0e+00 0 0 {n_nucleons} 1 2 0 0",
        "U MEV MM",
        "H 3 2 2 0 0 0 0 0 0 5.5e+00 1.2e+00 6.0e+01 6.8e+01",
    ]
    barcode = 1
    for v in range(n_nucleons):
        lines.append(f"V {-(v + 1)} 0 0 0 0 0 1 2 0")
        pz = 1000.0 * (v + 1)
        lines.append(_p2(barcode, 2212, (0, 0, pz, pz + 938.0), 938.27, 4, -(v + 1)))
        lines.append(_p2(barcode + 1, 211, (100.0 + k, 50.0, pz / 2, pz / 2 + 200.0), 139.57, 1, 0))
        lines.append(
            _p2(barcode + 2, -211, (-100.0, -50.0 - v, pz / 3, pz / 3 + 200.0), 139.57, 1, 0)
        )
        barcode += 3
    return "\n".join(lines) + "\n"


def write_old_generators() -> None:
    (HERE / "pythia6_v2.hepmc").write_text(
        HEPMC2_HEADER + "".join(pythia6_event(k) for k in range(2)) + HEPMC2_FOOTER
    )
    (HERE / "epos_heavyion_v2.hepmc").write_text(
        HEPMC2_HEADER + "".join(epos_event(k) for k in range(2)) + HEPMC2_FOOTER
    )
    # HepMC 3.0.0: no run info, no cross-section, weights without names, event position
    (HERE / "hepmc30_noruninfo_v3.hepmc").write_text(
        "HepMC::Version 3.0.0\nHepMC::Asciiv3-START_EVENT_LISTING\n"
        "E 7 1 4 @ 0.0 0.0 0.0 0.0\nU GEV MM\nW 2.5E+00 1.5E+00\n"
        "P 1 0 2212 0.0 0.0 4000.0 4000.0 0.938 4\n"
        "P 2 0 2212 0.0 0.0 -4000.0 4000.0 0.938 4\n"
        "V -1 0 [1,2]\n"
        "P 3 -1 11 10.0 0.0 5.0 11.18034 0.000511 1\n"
        "P 4 -1 -11 -10.0 0.0 -5.0 11.18034 0.000511 1\n"
        "E 8 2 4\nU GEV MM\nW 3.5E+00 0.5E+00\n"
        "P 1 0 2212 0.0 0.0 4000.0 4000.0 0.938 4\n"
        "P 2 0 2212 0.0 0.0 -4000.0 4000.0 0.938 4\n"
        "V -1 0 [1,2]\n"
        "P 3 -1 13 20.0 0.0 5.0 20.62 0.1057 1\n"
        "P 4 3 -13 -10.0 0.0 -5.0 11.18 0.1057 1\n"
        "HepMC::Asciiv3-END_EVENT_LISTING\n\n"
    )
    # HepMC 3.02 with run info: tool lines, weight names, old two-value cross-section attribute
    (HERE / "runinfo_v3.hepmc").write_text(
        "HepMC::Version 3.02.01\nHepMC::Asciiv3-START_EVENT_LISTING\n"
        "W Weight\\|MUR1_MUF1\n"
        "T Herwig\\|7.2.1\\|Herwig 7\nT HepMC\\|3.2.1\\|\n"
        "E 0 1 4\nU GEV MM\nW 1.0 0.9\nA 0 GenCrossSection 1.234e+02 5.0e-01\n"
        "P 1 0 2212 0.0 0.0 6500.0 6500.0 0.938 4\n"
        "P 2 0 2212 0.0 0.0 -6500.0 6500.0 0.938 4\n"
        "V -1 0 [1,2]\n"
        "P 3 -1 22 30.0 40.0 0.0 50.0 0.0 1\n"
        "P 4 -1 22 -30.0 -40.0 0.0 50.0 0.0 1\n"
        "HepMC::Asciiv3-END_EVENT_LISTING\n"
    )


def _events_v2(n: int) -> list[str]:
    """n tiny HepMC2 events written by pyhepmc, as text chunks starting with their E line."""
    path = HERE / "_tmp.hepmc"
    pyhepmc.Setup.print_warnings = False
    with pyhepmc.open(path, "w", format="hepmc2") as f:
        for k in range(n):
            evt = build_event(k % N_EVENTS)
            evt.event_number = k + 1
            f.write(evt)
    text = path.read_text()
    path.unlink()
    body = text[text.index("\nE ") + 1 : text.index("HepMC::IO_GenEvent-END")]
    return _chunks(body)


def _chunks(body: str) -> list[str]:
    """Split listing text into events, each ending with a newline."""
    parts = body.split("\nE ")
    chunks = [parts[0]] + ["E " + p for p in parts[1:]]
    return [c if c.endswith("\n") else c + "\n" for c in chunks]


def write_broken() -> None:
    (HERE / "empty.hepmc").write_bytes(b"")
    (HERE / "header_only.hepmc").write_text(
        "HepMC::Version 3.02.05\nHepMC::Asciiv3-START_EVENT_LISTING\n"
        "HepMC::Asciiv3-END_EVENT_LISTING\n"
    )
    (HERE / "garbage.hepmc").write_bytes(bytes(range(256)) * 4)
    (HERE / "lhe_events.hepmc").write_text(
        '<LesHouchesEvents version="3.0">\n<init>\n</init>\n</LesHouchesEvents>\n'
    )
    v3 = (HERE / "tth_v3.hepmc").read_text()
    # cut in the middle of a particle line of the last event
    last_p = v3.rindex("\nP ")
    (HERE / "truncated_v3.hepmc").write_text(v3[: last_p + 30])
    v2 = (HERE / "tth_v2.hepmc").read_text()
    # cut at a line end: the last vertex lacks a particle line (pyhepmc accepts this)
    (HERE / "truncated_v2.hepmc").write_text(v2[: v2.rindex("\nP ") + 1])

    events = _events_v2(150)
    header = HEPMC2_HEADER
    bad = events[136].split("\n")
    p_lines = [i for i, ln in enumerate(bad) if ln.startswith("P ")]
    bad[p_lines[3]] = bad[p_lines[3]][:35]  # event 137: a particle line cut short
    garbled = events[:136] + ["\n".join(bad)] + events[137:]
    (HERE / "bad_event137_v2.hepmc").write_text(header + "".join(garbled) + HEPMC2_FOOTER)

    # event 2 of 4 lost the particle line of its last vertex: ReaderAsciiHepMC2 accepts it
    lost = events[1].split("\n")
    p_lines = [i for i, ln in enumerate(lost) if ln.startswith("P ")]
    del lost[p_lines[-1]]
    (HERE / "lost_line_v2.hepmc").write_text(
        header + events[0] + "\n".join(lost) + "".join(events[2:4]) + HEPMC2_FOOTER
    )
    # event 3 of 4 holds binary junk instead of a particle line
    junk = events[2].split("\n")
    p_lines = [i for i, ln in enumerate(junk) if ln.startswith("P ")]
    junk[p_lines[2]] = "\x00\x07\x1b garbage"
    (HERE / "junk_line_v2.hepmc").write_text(
        header + "".join(events[:2]) + "\n".join(junk) + events[3] + HEPMC2_FOOTER
    )
    # event 2: NaN momentum of particle 3 (a gluon)
    nan = events[1].split("\n")
    p_lines = [i for i, ln in enumerate(nan) if ln.startswith("P ")]
    fields = nan[p_lines[3]].split()
    fields[3] = "nan"
    nan[p_lines[3]] = " ".join(fields)
    (HERE / "nan_v2.hepmc").write_text(
        header + events[0] + "\n".join(nan) + events[2] + HEPMC2_FOOTER
    )
    # unknown and odd PDG codes are legal: 9999999, 0, a made-up BSM code
    odd = events[0]
    for old, new in [(" 25 ", " 9999999 "), (" 24 ", " 0 "), (" 14 ", " 4900101 ")]:
        odd = odd.replace(old, new, 1)
    (HERE / "unknown_pdg_v2.hepmc").write_text(header + odd + events[1] + HEPMC2_FOOTER)
    # the number of weights changes in event 3
    e3 = events[2].split("\n")
    f = e3[0].split()
    n_w = int(f[12])
    e3[0] = " ".join(f[:12] + [str(n_w - 1)] + f[13 : 13 + n_w - 1] + f[13 + n_w :])
    e3 = [ln for ln in e3 if not ln.startswith("N ")]
    (HERE / "weights_change_v2.hepmc").write_text(
        header + "".join(events[:2]) + "\n".join(e3) + events[3] + HEPMC2_FOOTER
    )
    # 150 good events for batching tests
    (HERE / "many_v2.hepmc").write_text(header + "".join(events) + HEPMC2_FOOTER)


def main() -> None:
    write_pyhepmc()
    write_old_generators()
    write_broken()


if __name__ == "__main__":
    main()
