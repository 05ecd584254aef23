"""The expression language: what it computes, and that nothing outside the whitelist gets in."""

from __future__ import annotations

import awkward as ak
import numpy as np
import pytest
import vector

from hepreint.analysis.expr import ExpressionError, Scope, compile_expression

vector.register_awkward()


@pytest.fixture
def jets() -> ak.Array:
    return ak.zip(
        {
            "px": [[40.0, 0.0, 10.0], [30.0], []],
            "py": [[0.0, 30.0, 0.0], [0.0], []],
            "pz": [[0.0, 0.0, 5.0], [10.0], []],
            "E": [[40.0, 30.0, 12.0], [35.0], []],
            "flavour": [[5, 0, 4], [5], []],
        },
        with_name="Momentum4D",
    )


def ev(src: str, jets: ak.Array, **extra: object) -> object:
    known = {"jets", *extra}
    return compile_expression(src, known)(Scope({"jets": jets, **extra}))


def test_counts_and_indexing(jets: ak.Array) -> None:
    assert ev("count(jets)", jets).tolist() == [3, 1, 0]
    lead = ev("jets[0].pt", jets).tolist()
    assert lead[:2] == pytest.approx([40.0, 30.0]) and lead[2] is None
    assert ev("count(jets.flavour == 5)", jets).tolist() == [1, 1, 0]


def cut(src: str, jets: ak.Array) -> list[bool]:
    """As the processor applies a cut: absent (None) counts as failed."""
    return ak.fill_none(ev(src, jets), False).tolist()


def test_missing_objects_fail_cuts(jets: ak.Array) -> None:
    # the second jet is absent in events 2 and 3: the cut must fail there, negated or not
    assert cut("jets[1].pt > 10", jets) == [True, False, False]
    assert cut("not jets[1].pt > 10", jets) == [False, False, False]
    assert cut("jets[1].pt <= 10", jets) == [False, False, False]
    assert ev("jets[1].pt > 10", jets).tolist() == [True, None, None]


def test_three_valued_logic(jets: ak.Array) -> None:
    # True or absent = True; False and absent = False; otherwise absent stays absent
    assert ev("count(jets) == 1 or jets[1].pt > 10", jets).tolist() == [True, True, None]
    assert ev("count(jets) == 3 and jets[1].pt > 10", jets).tolist() == [True, False, False]
    assert ev("count(jets) == 1 and jets[1].pt > 10", jets).tolist() == [False, None, False]
    assert cut("not (count(jets) == 1 and jets[1].pt > 10)", jets) == [True, False, True]


def test_chained_comparison_and_boolops(jets: ak.Array) -> None:
    assert cut("20 < jets[0].pt < 35", jets) == [False, True, False]
    assert cut("count(jets) == 1 or count(jets) == 3", jets) == [True, True, False]


def test_kinematics(jets: ak.Array) -> None:
    m = ev("mass(jets[0], jets[1])", jets).tolist()
    assert m[0] == pytest.approx(np.sqrt(70.0**2 - 40.0**2 - 30.0**2))
    assert m[1] is None
    dphi = ev("abs(dphi(jets[0], jets[1]))", jets).tolist()[0]
    assert dphi == pytest.approx(np.pi / 2)
    assert ev("sum(jets.pt)", jets).tolist() == pytest.approx([80.0, 30.0, 0.0])


def test_parameters_and_constants(jets: ak.Array) -> None:
    out = compile_expression("mX * 2 + pi", {"mX"})(Scope({"mX": 10.0}))
    assert out == pytest.approx(20 + np.pi)


def test_object_scope_where(jets: ak.Array) -> None:
    sel = compile_expression("pt > 20 and flavour == 5", set(), object_scope=True)
    assert sel(Scope({}, obj=jets)).tolist() == [[True, False, False], [True], []]


@pytest.mark.parametrize(
    "src, needle",
    [
        ("__import__('os').system('true')", "only the listed functions"),
        ("__import__('os')", "unknown function '__import__'"),
        ("jets.__class__", "__class__"),
        ("jets.layout", "layout"),
        ("(lambda: 1)()", "only the listed functions"),
        ("open('/etc/passwd')", "unknown function 'open'"),
        ("[j for j in jets]", "ListComp"),
        ("jets[0].pt if True else 1", "IfExp"),
        ("getattr(jets, 'pt')", "unknown function 'getattr'"),
        ("count(jets, key=1)", "keyword"),
        ("'a' + 'b'", "numbers only"),
        ("jtes[0].pt", "did you mean 'jets'"),
        ("cnt(jets)", "did you mean 'count'"),
        ("jets[0].ptt", "did you mean 'pt'"),
        ("count(jets", "syntax error"),
        ("x := 3", "syntax error"),
        ("jets[-1].pt", "non-negative"),
        ("count", "is a function"),
        ("count(jets, jets)", "takes 1 arguments"),
        ("_x", "not allowed"),
        ("jets @ jets", "MatMult"),
    ],
)
def test_whitelist_refuses(src: str, needle: str) -> None:
    with pytest.raises(ExpressionError) as err:
        compile_expression(src, {"jets"})
    assert needle in str(err.value)


def test_pair_four_min_dr_leading() -> None:
    # two back-to-back pairs of close jets: the pairing must group the close ones
    def p(pt: float, eta: float, phi: float) -> dict[str, float]:
        v = vector.obj(pt=pt, eta=eta, phi=phi, mass=0.0)
        return {"px": v.px, "py": v.py, "pz": v.pz, "E": v.E}

    ev_ = [p(100, 0.0, 0.0), p(90, 0.0, 3.0), p(80, 0.1, 0.2), p(70, 0.1, 3.2)]
    coll = ak.Array([ev_], with_name="Momentum4D")
    coll = ak.zip({k: coll[k] for k in ("px", "py", "pz", "E")}, with_name="Momentum4D")
    h = compile_expression("pair_four(jets, 'min_dr_leading')", {"jets"})(Scope({"jets": coll}))
    d = compile_expression("dR(jets[0], jets[2])", {"jets"})(Scope({"jets": coll}))
    lead = coll[:, 0] + coll[:, 2]
    assert h[0, 0].pt == pytest.approx(lead[0].pt)
    assert d[0] < 0.3
