"""The terminal view of a LimitResult; the label of the likelihood heads every block."""

from __future__ import annotations

from typing import Any

from hepreint.stats.limits import LimitResult


def _f(x: float | None, fmt: str = ".3g") -> str:
    return "—" if x is None else format(x, fmt)


def limits_table(res: LimitResult, warnings: bool = True) -> str:
    """The terminal table; ``warnings=False`` when the caller prints them itself (the CLI puts
    them on stderr, once: in the table too they were printed twice)."""
    tag = f"[{res.label}]"
    lines = [
        f"{res.analysis}: limits on the signal, likelihood kind {res.likelihood_kind} {tag}",
        f"  likelihood: {res.likelihood.get('workspace')}  source: {res.likelihood.get('source')}",
    ]
    obs_note = res.likelihood.get("observations")
    if obs_note:
        lines.append(f"  observed counts: {obs_note}")
    if res.signal_xsec_fb is not None:
        lines.append(
            f"  signal σ = {res.signal_xsec_fb:.4g} fb (results' normalisation), "
            f"L = {res.luminosity_fb:g} fb⁻¹"
        )
    if res.cls_exp is not None and res.mu_limit_exp is not None:
        e, m = res.cls_exp, res.mu_limit_exp
        lines += [
            "",
            f"  {'combined fit ' + tag:<{21 + len(tag)}}{'observed':>10}{'expected':>10}"
            f"{'-2σ':>9}{'-1σ':>9}{'+1σ':>9}{'+2σ':>9}",
            f"  {'CLs at μ = 1':<{21 + len(tag)}}{_f(res.cls_obs):>10}{_f(e['median']):>10}"
            f"{_f(e['-2sigma']):>9}{_f(e['-1sigma']):>9}{_f(e['+1sigma']):>9}"
            f"{_f(e['+2sigma']):>9}",
            f"  {'μ upper limit 95% CL':<{21 + len(tag)}}{_f(res.mu_limit_obs):>10}"
            f"{_f(m['median']):>10}{_f(m['-2sigma']):>9}{_f(m['-1sigma']):>9}"
            f"{_f(m['+1sigma']):>9}{_f(m['+2sigma']):>9}",
        ]
        if res.xsec_limit_exp_fb is not None:
            x = res.xsec_limit_exp_fb
            lines.append(
                f"  {'σ upper limit [fb]':<{21 + len(tag)}}{_f(res.xsec_limit_obs_fb):>10}"
                f"{_f(x['median']):>10}{_f(x['-2sigma']):>9}{_f(x['-1sigma']):>9}"
                f"{_f(x['+1sigma']):>9}{_f(x['+2sigma']):>9}"
            )
        verdict = "excluded" if res.excluded else "not excluded"
        if obs_note:  # no data in this likelihood: the "observed" column is the expectation
            lines.append(
                f"  μ = 1 is {verdict} at 95% CL in the background-only expectation (CLs "
                f"{_f(res.cls_obs)}); this likelihood holds no observed data {tag}"
            )
        else:
            lines.append(f"  μ = 1 is {verdict} at 95% CL (observed CLs {_f(res.cls_obs)}) {tag}")
    if any(r.s95_exp is not None for r in res.regions):
        lines += [
            "",
            f"  single regions {tag}",
            f"  {'region':<26}{'channel':<12}{'S':>10} {'± stat':>9} {'raw':>6}"
            f" {'S95 obs':>10} {'S95 exp':>10} {'r obs':>8} {'r exp':>8}",
        ]
        for r in res.regions:
            star = " *" if r.region == res.best_expected_region else ""
            lines.append(
                f"  {r.region:<26}{r.channel:<12}{r.signal:>10.4g} {r.signal_stat:>9.3g}"
                f" {r.raw:>6} {_f(r.s95_obs, '.4g'):>10} {_f(r.s95_exp, '.4g'):>10}"
                f" {_f(r.r_obs):>8} {_f(r.r_exp):>8}{star}"
            )
        lines.append("  * best expected region (largest expected r = S/S95)")
    lines += _calibration(res.likelihood.get("calibration") or {}, tag)
    for w in res.warnings if warnings else []:
        lines.append(f"  warning: {w}")
    lines.append(f"  ({res.seconds:.2f} s)")
    return "\n".join(lines)


def _calibration(cal: dict[str, Any], tag: str) -> list[str]:
    """What the calibrated likelihood was solved on, and the published numbers it re-predicts
    without being solved on them: how far to trust the limits above."""
    target = cal.get("target") or {}
    if not target:
        return []
    lines = ["", f"  calibration {tag}: solved on {target.get('id')} = {target.get('value')} "
             f"{target.get('unit') or ''}".rstrip()]  # fmt: skip
    for c in cal.get("crosschecks") or []:
        if "published" in c:
            pub, ours = _f(c["published"], ".4g"), _f(c.get("predicted"), ".4g")
        else:
            p = c.get("published_uncertainty") or c.get("published_interval")
            o = c.get("predicted_uncertainty") or c.get("predicted_interval")
            if isinstance(p, dict) and isinstance(o, dict):
                pub = f"+{_f(p.get('plus'))}/-{_f(p.get('minus'))}"
                ours = f"+{_f(o.get('plus'))}/-{_f(o.get('minus'))}"
            elif isinstance(p, list) and isinstance(o, list):
                pub, ours = f"[{_f(p[0])}, {_f(p[1])}]", f"[{_f(o[0])}, {_f(o[1])}]"
            else:
                continue
        lines.append(f"  cross-check (not used by the calibration) {c.get('id')}: published "
                     f"{pub}, this likelihood {ours}")  # fmt: skip
    return lines
