"""Simplified likelihoods from published tables: per bin, background ± uncertainty and the count.

The model is the one pyhf's ``simplemodels.uncorrelated_background`` builds (and the one
HEPData-less reinterpretations use): one Poisson per bin, the background uncertainty as an
uncorrelated Barlow-Beeston ``shapesys``. Correlations between bins are lost, so the result is
an approximation; the table's citation travels with the workspace into every output.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from hepreint.analysis.schemas import validate
from hepreint.errors import HepreintError, LikelihoodError
from hepreint.results.output import dumps, write_json, write_text
from hepreint.stats.sidecar import META_SCHEMA

TABLE_SCHEMA = "hepreint-simplified/1"
BACKGROUND = "background"


@dataclass
class BuiltWorkspace:
    workspace: dict[str, Any]
    metadata: dict[str, Any]

    def write(self, path: str | Path) -> tuple[Path, Path]:
        """``path`` (plain pyhf JSON) and its ``.meta.json`` sidecar carrying the sha256."""
        from hepreint.stats.sidecar import meta_path

        p = Path(path)
        text = dumps(self.workspace, "the calibrated workspace")
        data = text.encode("utf-8")
        # the digest of the bytes about to be written (bytes: no newline translation)
        meta = {
            **self.metadata,
            "workspace": p.name,
            "workspace_sha256": hashlib.sha256(data).hexdigest(),
        }
        problems = validate(meta, "likelihood-meta")
        if problems:  # checked before writing: a bad sidecar must not replace a good pair
            raise HepreintError(
                f"internal error: likelihood metadata fail their schema: {problems[0]}"
            )
        write_text(p, text)
        m = write_json(meta_path(p), meta, "the likelihood metadata")
        return p, m


def read_table(path: Path) -> dict[str, Any]:
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LikelihoodError(f"{path}: yields table missing; check likelihood.table") from None
    except yaml.YAMLError as exc:
        raise LikelihoodError(f"{path}: not YAML ({str(exc).splitlines()[0]})") from None
    if not isinstance(doc, dict):
        raise LikelihoodError(f"{path}: expected a mapping with source and channels")
    doc.setdefault("_path", str(path))
    return doc


def background_workspace(
    channels: dict[str, dict[str, list[float]]], poi: str = "mu", measurement: str = "meas"
) -> dict[str, Any]:
    """A background-only pyhf workspace: ``{channel: {background, background_uncertainty,
    observed}}``; the signal is patched in later."""
    return {
        "channels": [
            {
                "name": ch,
                "samples": [
                    {
                        "name": BACKGROUND,
                        "data": [float(b) for b in c["background"]],
                        "modifiers": [
                            {
                                "name": f"uncorr_bkguncrt_{ch}",
                                "type": "shapesys",
                                "data": [float(u) for u in c["background_uncertainty"]],
                            }
                        ],
                    }
                ],
            }
            for ch, c in channels.items()
        ],
        "observations": [
            {"name": ch, "data": [float(n) for n in c["observed"]]} for ch, c in channels.items()
        ],
        "measurements": [{"name": measurement, "config": {"poi": poi, "parameters": []}}],
        "version": "1.0.0",
    }


def build_simplified(table: dict[str, Any]) -> BuiltWorkspace:
    """Check a published-yields table and turn it into a workspace plus its metadata."""
    where = table.get("_path", "simplified table")
    source = table.get("source")
    if not source:
        raise LikelihoodError(f"{where}: 'source' missing; cite the table (arXiv id, table no.)")
    chans = table.get("channels") or {}
    if not chans:
        raise LikelihoodError(f"{where}: 'channels' is empty; give one entry per signal region")
    for ch, c in chans.items():
        keys = ("background", "background_uncertainty", "observed")
        missing = [k for k in keys if k not in c]
        if missing:
            raise LikelihoodError(f"{where}: channels.{ch}: missing {', '.join(missing)}")
        lens = {len(c[k]) for k in keys}
        if len(lens) != 1:
            raise LikelihoodError(
                f"{where}: channels.{ch}: background, background_uncertainty and observed "
                "need one value per bin each"
            )
        for i, (b, u, n) in enumerate(zip(*(c[k] for k in keys), strict=True)):
            if not b > 0 or u < 0 or n < 0:
                raise LikelihoodError(
                    f"{where}: channels.{ch} bin {i}: need background > 0, uncertainty >= 0, "
                    f"observed >= 0 (got {b}, {u}, {n})"
                )
    ws = background_workspace(chans, poi=table.get("poi", "mu"))
    meta = {
        "schema": META_SCHEMA,
        "kind": "simplified",
        "source": source,
        "observations": f"published observed counts ({source})",
        "model": "one Poisson per bin, background uncertainty as uncorrelated shapesys",
    }
    return BuiltWorkspace(ws, meta)
