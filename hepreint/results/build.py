"""Turn what the engine merged into normalised :class:`Results`: the cross-section and luminosity
chosen (and where from), warnings a user must see, and the provenance of the run."""

from __future__ import annotations

import datetime as dt
import sys
from typing import Any

from hepreint._version import __version__
from hepreint.analysis.spec import Analysis
from hepreint.engine.exact import to_float
from hepreint.engine.executors import Accumulated
from hepreint.engine.options import RunOptions
from hepreint.engine.yields import Yields
from hepreint.results.document import Results
from hepreint.results.nominal import nominal_first

#: what results say of the detector stage for each choice that is not a card
DETECTOR_TEXT = {
    "truth": "truth-level objects: no detector response; b-jets are truth b-labelled jets "
    "tagged perfectly, triggers always fire",
    "none": "objects built from the file's particles as they are (an already smeared HepMC "
    "record): no detector response applied",
    "delphes": "objects reconstructed in the input file by Delphes: the detector stage is "
    "skipped",
}


def detector_provenance(a: Analysis, reconstructed: bool) -> dict[str, Any]:
    """What every result records of the detector response it was made with."""
    if reconstructed:
        return {"name": "delphes", "description": DETECTOR_TEXT["delphes"], "approximate": False}
    if a.detector in ("truth", "none"):
        return {"name": a.detector, "description": DETECTOR_TEXT[a.detector], "approximate": False}
    from hepreint.detector import card_for

    card = card_for(a.detector)
    assert card is not None
    return {**card.describe(), "description": card.data["description"], "tagging": a.tagging,
            "path": str(card.path)}  # fmt: skip


def build_results(
    a: Analysis, acc: Accumulated, opts: RunOptions, analyses_in_pass: list[str]
) -> Results:
    yields = (acc.yields or {}).get(a.key)
    if yields is None:
        yields = Yields.zeros(a.layout, acc.weight_names or ("nominal",))
    yields, nominal = nominal_first(yields, opts.nominal_weight)
    xsec, xerr, xsrc = opts.xsec_pb, None, "--xsec" if opts.xsec_pb is not None else None
    warnings: list[str] = []
    by_file = _xsec_in_input_order(acc)
    if xsec is None and by_file:
        xsec, xerr = by_file[-1][1], by_file[-1][2]
        xsrc = "input file"
    if xsec is not None and (not yields.sumw_all or to_float(yields.sumw_all[0]) <= 0):
        warnings.append(
            "yields are NOT normalised: the nominal weights of all events sum to <= 0; "
            "generate more events or check the weights"
        )
    if xsec is None:
        warnings.append(
            "yields are NOT normalised (sum of weights): the input has no cross-section; "
            "pass --xsec in pb"
        )
    if opts.xsec_pb is None and len(by_file) > 1:
        vals = [v for _, v, _ in by_file]
        if max(vals) > 1.05 * min(vals):
            warnings.append(
                "the input files state cross-sections that differ by more than 5% "
                f"({', '.join(f'{v:.4g}' for v in vals)} pb): are they one process? the last "
                "one is used; pass --xsec or run them separately"
            )
    lumi = opts.lumi_fb if opts.lumi_fb is not None else float(a.metadata["luminosity_fb"])
    lsrc = "--lumi" if opts.lumi_fb is not None else f"the analysis, arXiv:{a.metadata['arxiv']}"
    reports = _merged_reports(acc.reports)
    for r in reports:
        for msg in r["bad_event_messages"]:
            warnings.append(f"skipped bad event: {msg}")
        warnings += r["warnings"]
    if a.metadata.get("approximations"):
        warnings.append("approximate preservation: " + "; ".join(a.metadata["approximations"]))
    detector = detector_provenance(a, any(r.get("format") == "delphes" for r in reports))
    if detector.get("approximate"):
        warnings.append(
            f"approximate detector map {detector['name']} ({detector.get('tagging')} tagging): "
            + "; ".join(detector.get("approximations", []))
        )
    networks = {n: c.describe() for n, c in a.networks.items()}
    surrogates = [n for n, d in networks.items() if d["surrogate"]]
    if surrogates:
        warnings.append(
            f"surrogate networks {', '.join(surrogates)}: trained by hepreint's recipes on its own "
            "samples, not the experiment's networks (analysis README, network cards)"
        )
    prov: dict[str, Any] = {
        "hepreint_version": __version__,
        "analysis_sha256": a.digest(),
        "analysis_parameters": a.parameters,
        "inputs": [
            {k: v for k, v in r.items() if k not in ("bad_event_messages", "warnings")}
            for r in reports
        ],
        "seed": opts.seed,
        "nominal_weight": nominal,
        "batch_size": opts.batch_size,
        "executor": opts.executor,
        "workers": opts.workers if opts.executor != "serial" else 1,
        "reader": opts.reader,
        "skip": opts.skip,
        "max_events": opts.max_events,
        "detector": detector,
        "networks": networks,
        "analyses_in_pass": analyses_in_pass,
        "command": opts.command or " ".join(sys.argv),
        "time_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "python": sys.version.split()[0],
    }
    res = Results(
        analysis=a,
        yields=yields,
        xsec_pb=xsec,
        xsec_err_pb=xerr,
        xsec_source=xsrc,
        lumi_fb=lumi,
        lumi_source=lsrc,
        provenance=prov,
        warnings=warnings,
    )
    if acc.failure is not None:
        res.status = "partial"
        res.errors.append(str(acc.failure))
    if acc.interrupted is not None:
        res.status = "partial"
        res.errors.append(
            f"interrupted by {acc.interrupted.name} after {yields.n_events} events: these "
            "results hold only the events finished before it; rerun for the rest (--skip)"
        )
    return res


def _xsec_in_input_order(acc: Accumulated) -> list[tuple[str, float, float | None]]:
    """(file, xsec, err) per file stating one, in the order the files were given."""
    order = []
    for r in acc.reports:
        p = str(r.path)
        if p not in order:
            order.append(p)
    return [(p, acc.xsec_by_file[p][1], acc.xsec_by_file[p][2]) for p in order
            if p in acc.xsec_by_file]  # fmt: skip


def _merged_reports(reports: list[Any]) -> list[dict[str, Any]]:
    """One entry per input file: reports of the shares of a file add up."""
    out: dict[str, dict[str, Any]] = {}
    for r in reports:
        e = out.setdefault(
            str(r.path),
            {
                "path": str(r.path),
                "size_bytes": int(r.size_bytes),
                "format": str(getattr(r, "format", "")),
                "events_read": 0,
                "bad_events_skipped": 0,
                "bad_event_messages": [],
                "warnings": [],
            },
        )
        e["events_read"] += int(r.n_events_read)
        e["bad_events_skipped"] += int(getattr(r, "n_bad_skipped", 0))
        e["bad_event_messages"] += list(getattr(r, "bad_event_messages", []))
        # what a reader accepted but the user must know (e.g. unknown PDG codes), once per file
        e["warnings"] += [w for w in getattr(r, "warnings", []) if w not in e["warnings"]]
    return list(out.values())
