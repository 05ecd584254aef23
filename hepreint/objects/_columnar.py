"""Flat-array plumbing shared by the object builders.

Every builder works on the flattened particle content plus the per-event offsets (one numpy
gather/scatter over the whole batch) and only re-wraps the result as a jagged array at the end;
this keeps the cost independent of the number of events (no per-event Python loop).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import awkward as ak
import numpy as np
import vector

vector.register_awkward()

#: momentum fields of every four-vector record built here (vector's Momentum4D convention)
P4_FIELDS: tuple[str, ...] = ("px", "py", "pz", "E")


def offsets_of(array: ak.Array) -> np.ndarray:
    """Offsets (length n_events + 1, starting at 0) of a singly-jagged array."""
    counts = np.asarray(ak.to_numpy(ak.num(array, axis=1)), dtype=np.int64)
    out = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=out[1:])
    return out


def flat(array: ak.Array, field: str | None = None, dtype: type | None = None) -> np.ndarray:
    """Flattened (contiguous numpy) content of one field of a singly-jagged array."""
    values = array if field is None else array[field]
    out = np.asarray(ak.to_numpy(ak.flatten(values, axis=1)))
    return out.astype(dtype, copy=False) if dtype is not None else out


def event_index(offsets: np.ndarray) -> np.ndarray:
    """Event number of every flattened element."""
    return np.repeat(np.arange(len(offsets) - 1, dtype=np.int64), np.diff(offsets))


def jagged(
    columns: Mapping[str, np.ndarray | ak.contents.Content],
    offsets: np.ndarray,
    *,
    with_name: str | None = None,
) -> ak.Array:
    """Wrap flat columns (all the same length) as one jagged record array, zero-copy."""
    contents = [
        c if isinstance(c, ak.contents.Content) else ak.contents.NumpyArray(np.asarray(c))
        for c in columns.values()
    ]
    params = {"__record__": with_name} if with_name else None
    record = ak.contents.RecordArray(
        contents, list(columns), length=int(offsets[-1]), parameters=params
    )
    layout = ak.contents.ListOffsetArray(ak.index.Index64(np.asarray(offsets, np.int64)), record)
    return ak.Array(layout)


def momentum_columns(array: ak.Array) -> dict[str, np.ndarray]:
    """Flat float64 px, py, pz, E of a jagged array of four-vectors (or of a ``p4`` field)."""
    source = p4(array)
    # attribute access so that any vector coordinate system (pt/eta/phi/mass, ...) works
    return {
        f: np.asarray(ak.to_numpy(ak.flatten(getattr(source, f), axis=1)), dtype=np.float64)
        for f in P4_FIELDS
    }


def p4(array: ak.Array) -> ak.Array:
    """The vector-behaving four-momentum of objects (truth views carry it as ``p4``)."""
    return array.p4 if "p4" in ak.fields(array) else array


def sort_and_cut(objects: ak.Array, pt_min: float, abs_eta_max: float) -> ak.Array:
    """Apply pT / |eta| acceptance and order by decreasing pT (the analyses' convention)."""
    vec = p4(objects)
    keep = vec.pt >= pt_min
    if np.isfinite(abs_eta_max):  # eta of a zero-pT object is ±inf: fails any finite cut
        with np.errstate(divide="ignore", invalid="ignore"):
            keep = keep & (abs(vec.eta) < abs_eta_max)
    objects = objects[keep]
    return objects[ak.argsort(p4(objects).pt, axis=1, ascending=False, stable=True)]


def same_event_pairs(off_a: np.ndarray, off_b: np.ndarray) -> tuple[np.ndarray, ...]:
    """All (a, b) pairs of flat indices within the same event, a-major, and the offsets of
    each a's run of pairs: the flat equivalent of ``ak.argcartesian(nested=True)``."""
    evt_a = event_index(off_a)
    n_b = np.diff(off_b)[evt_a]
    pair_off = np.zeros(len(evt_a) + 1, dtype=np.int64)
    np.cumsum(n_b, out=pair_off[1:])
    ia = np.repeat(np.arange(len(evt_a), dtype=np.int64), n_b)
    ib = off_b[:-1][evt_a][ia] + (np.arange(int(pair_off[-1]), dtype=np.int64) - pair_off[:-1][ia])
    return ia, ib, pair_off


def _flat_vectors(columns: Mapping[str, np.ndarray]) -> ak.Array:
    """Zero-copy flat awkward array with vector behaviour over the given coordinate columns."""
    names = set(columns)
    name = "Momentum4D" if "E" in names else ("Momentum3D" if "eta" in names else "Momentum2D")
    return ak.zip({k: np.asarray(v) for k, v in columns.items()}, with_name=name)


def eta_phi(array: ak.Array) -> tuple[np.ndarray, np.ndarray]:
    """Flat pseudorapidity and azimuth of jagged four-vectors (vector's definitions)."""
    vec = _flat_vectors(momentum_columns(array))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(vec.eta, np.float64), np.asarray(vec.phi, np.float64)


def delta_r_pairs(a: ak.Array, b: ak.Array) -> tuple[np.ndarray, ...]:
    """ΔR of every same-event (a, b) pair, flat, with the pair indices and per-a offsets
    (see :func:`same_event_pairs`).  eta/phi are computed once per object and ΔR (vector's
    eta-phi distance) once per pair, on zero-copy flat awkward arrays."""
    ia, ib, pair_off = same_event_pairs(offsets_of(a), offsets_of(b))
    eta_a, phi_a = eta_phi(a)
    eta_b, phi_b = eta_phi(b)
    ones = np.ones(len(ia))
    va = _flat_vectors({"rho": ones, "eta": eta_a[ia], "phi": phi_a[ia]})
    vb = _flat_vectors({"rho": ones, "eta": eta_b[ib], "phi": phi_b[ib]})
    with np.errstate(invalid="ignore"):
        dr = np.asarray(va.deltaR(vb), dtype=np.float64)
    return dr, ia, ib, pair_off


def delta_r_nested(a: ak.Array, b: ak.Array) -> ak.Array:
    """ΔR(a_i, b_j) as ``[event][i][j]``; built from flat pair arrays, which is ~10x faster
    than ``ak.cartesian`` for particle-sized collections."""
    dr, _, _, pair_off = delta_r_pairs(a, b)
    inner = ak.contents.ListOffsetArray(ak.index.Index64(pair_off), ak.contents.NumpyArray(dr))
    return ak.Array(ak.contents.ListOffsetArray(ak.index.Index64(offsets_of(a)), inner))


def jagged_values(values: np.ndarray, offsets: np.ndarray) -> ak.Array:
    """Wrap one flat column as a jagged array (e.g. a per-particle bool mask), zero-copy."""
    layout = ak.contents.ListOffsetArray(
        ak.index.Index64(np.asarray(offsets, np.int64)), ak.contents.NumpyArray(values)
    )
    return ak.Array(layout)


def selected_offsets(select: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Offsets of the flat elements kept by a flat bool ``select``."""
    kept = np.zeros(len(select) + 1, dtype=np.int64)
    np.cumsum(select, out=kept[1:])
    return kept[offsets]


def transverse_momentum(px: np.ndarray, py: np.ndarray) -> np.ndarray:
    """pT of flat px, py (through vector, like every other kinematic quantity here)."""
    vec: Any = vector.array({"px": px, "py": py})
    return np.asarray(vec.pt, dtype=np.float64)
