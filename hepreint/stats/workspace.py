"""Load the background workspace a likelihood spec names, validated by pyhf, patched if asked.

pyhf's workspace schema forbids extra keys, so what hepreint knows about a workspace (its kind,
the table it was built from, a calibration) lives in a sidecar ``<name>.meta.json`` carrying the
workspace's sha256: metadata can then never silently describe a different workspace.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyhf

from hepreint.errors import LikelihoodError
from hepreint.stats.mapping import LikelihoodSpec
from hepreint.stats.sidecar import META_SCHEMA, check_meta, file_sha256, meta_path, read_json

__all__ = [
    "META_SCHEMA",
    "Likelihood",
    "check_meta",
    "file_sha256",
    "load_likelihood",
    "meta_path",
    "read_json",
]


@dataclass
class Likelihood:
    spec: LikelihoodSpec
    workspace: pyhf.Workspace
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        return self.spec.kind


def validate_workspace(spec: dict[str, Any], where: str) -> pyhf.Workspace:
    """pyhf's own schema check, turned into a one-line LikelihoodError."""
    try:
        return pyhf.Workspace(spec)
    except pyhf.exceptions.InvalidSpecification as exc:
        msg = str(exc).splitlines()[0]
        raise LikelihoodError(
            f"{where}: not a valid pyhf workspace ({msg}); use an HEPData pyhf JSON (v1.0.0)"
        ) from None


def load_patchset(path: Path) -> pyhf.PatchSet:
    doc = read_json(path, "patchset")
    try:
        return pyhf.PatchSet(doc)
    except (pyhf.exceptions.InvalidSpecification, pyhf.exceptions.InvalidPatchSet) as exc:
        msg = str(exc).splitlines()[0]
        raise LikelihoodError(
            f"{path}: not a valid pyhf patchset ({msg}); use the HEPData file"
        ) from None


def apply_patch(ws: pyhf.Workspace, patchset: pyhf.PatchSet, name: str, where: str) -> Any:
    """The patched workspace; pyhf checks the patchset's digest of the workspace too."""
    try:
        return patchset.apply(ws, name)
    except pyhf.exceptions.InvalidPatchLookup:
        names = ", ".join(p.name for p in patchset.patches[:5])
        raise LikelihoodError(
            f"{where}: patch {name!r} not in the patchset; it has {names}..."
        ) from None
    except pyhf.exceptions.PatchSetVerificationError as exc:
        raise LikelihoodError(
            f"{where}: patchset does not belong to this workspace ({exc}); use the "
            "background-only JSON from the same HEPData record"
        ) from None


def load_likelihood(spec: LikelihoodSpec) -> Likelihood:
    if spec.table is not None:
        from hepreint.stats.simplified import build_simplified, read_table

        built = build_simplified(read_table(spec.table))
        ws = validate_workspace(built.workspace, str(spec.table))
        return Likelihood(spec, ws, built.metadata)
    assert spec.workspace is not None
    ws = validate_workspace(read_json(spec.workspace, "workspace"), str(spec.workspace))
    meta_file = spec.metadata or meta_path(spec.workspace)
    metadata: dict[str, Any] = {}
    if meta_file.exists():
        metadata = check_meta(read_json(meta_file, "workspace metadata"), str(meta_file))
        if metadata.get("kind") != spec.kind:
            raise LikelihoodError(
                f"{meta_file}: kind {metadata.get('kind')!r} but analysis.yaml says "
                f"{spec.kind!r}; make them agree"
            )
        digest = metadata.get("workspace_sha256")
        if digest and digest != file_sha256(spec.workspace):
            raise LikelihoodError(
                f"{meta_file}: workspace_sha256 does not match {spec.workspace.name}; the "
                "workspace changed after its metadata was written: rebuild both"
            )
    elif spec.kind == "calibrated":
        raise LikelihoodError(
            f"{meta_file}: missing; a calibrated workspace must carry its calibration "
            "(rerun 'hepreint calibrate')"
        )
    if spec.patchset is not None:
        ps = load_patchset(spec.patchset)
        if spec.patch is None:
            raise LikelihoodError(
                f"{spec.where('patch')}: a patchset is given but no patch name; add 'patch:'"
            )
        patched = apply_patch(ws, ps, spec.patch, spec.where("patch"))
        ws = validate_workspace(dict(patched), f"{spec.patchset} patch {spec.patch}")
        metadata = {**metadata, "patch": spec.patch}
    metadata.setdefault("kind", spec.kind)
    return Likelihood(spec, ws, metadata)
