"""``hepreint list`` and ``hepreint inspect``: what is preserved, and how an analysis reads."""

from __future__ import annotations

from typing import Any

import click


@click.command("list")
def list_cmd() -> None:
    """List the preserved analyses with title, arXiv and status."""
    from hepreint.analysis.catalog import list_analyses
    from hepreint.analysis.yamlfile import load_yaml

    for path in list_analyses():
        meta = load_yaml(path / "analysis.yaml").data.get("metadata", {})
        click.echo(
            f"{path.name:<12} arXiv:{meta.get('arxiv', '?'):<12} "
            f"{meta.get('status', '?'):<13} {meta.get('title', '')}"
        )
        click.echo(f"{'':<12} {path}")
    from hepreint.detector import list_cards
    from hepreint.detector.card import card_path

    click.echo("detector cards (--detector NAME; also truth, none):")
    for name in list_cards():
        click.echo(f"  {name:<12} {card_path(name)}")


@click.command()
@click.argument("analysis")
def inspect(analysis: str) -> None:
    """Show an analysis: objects, overlap removal, variables, cuts, regions, networks."""
    from hepreint.analysis.spec import load_analysis

    a = load_analysis(analysis)
    m = a.metadata
    click.echo(f"{m['name']}: {m['title']}")
    click.echo(
        f"  {m['experiment']}, arXiv:{m['arxiv']}, sqrt(s) = {m['sqrt_s_TeV']} TeV, "
        f"L = {m['luminosity_fb']} fb^-1, status: {m['status']}"
    )
    click.echo(f"  sha256 {a.digest()}")
    click.echo(f"detector: {a.default_detector} (tagging: {a.tagging}; --detector overrides)")
    if a.triggers:
        click.echo("triggers: " + ", ".join(a.triggers))
    if a.parameters:
        click.echo("parameters: " + ", ".join(f"{k}={v:g}" for k, v in a.parameters.items()))
    click.echo("objects:")
    for name, spec in a.raw["objects"].items():
        desc = ", ".join(f"{k}={v}" for k, v in spec.items() if k != "source")
        click.echo(f"  {name:<14} {desc}")
    if a.overlap_removal:
        click.echo("overlap removal:")
        for r in a.overlap_removal:
            click.echo(f"  remove {r.remove} within dR < {r.dR:g} of {r.near}")
    click.echo("variables:")
    for name, c in a.variables.items():
        click.echo(f"  {name:<14} = {c.source}")
    click.echo("cuts:")
    for name in a.raw["cuts"]:
        text = a.cuts[name].source if name in a.cuts else "(every event)"
        if name in a.tag_cuts:
            from hepreint.detector import Requirement

            req = Requirement.from_spec(a.tag_cuts[name])
            tags = f"tags of {req.collection}: {req.label()}"
            text = tags if name not in a.cuts else f"{text} and {tags}"
        if name in a.cut_weights:
            text += f"   weight: {a.cut_weights[name].source}"
        click.echo(f"  {name:<18} {text}")
    click.echo("regions:")
    for region in a.regions:
        steps = " -> ".join(s.label for s in region.steps[1:])
        click.echo(f"  {region.name:<26} {steps}")
    click.echo("networks:" + ("" if a.networks else " none"))
    for name, card in a.networks.items():
        for line in network_lines(name, card):
            click.echo("  " + line)
    refs = (
        sorted((a.directory / "reference").glob("*"))
        if (a.directory / "reference").is_dir()
        else []
    )
    click.echo("references: " + (", ".join(p.name for p in refs) if refs else "none"))


def network_lines(name: str, card: Any) -> list[str]:
    """A network as ``inspect`` shows it: what it is, its inputs and outputs, files, folds and
    where it came from (a surrogate says so first)."""
    prov = card.data.get("provenance") or {}
    kind = "SURROGATE " if card.surrogate else ""
    out = [f"{name}: {kind}{card.task} network, card {card.path.name}"]
    if card.surrogate:
        out.append(f"  {' '.join(str(card.data.get('surrogate_note', '')).split())}")
    for i in card.inputs:
        feats = ", ".join(f.name + (f" [{f.unit}]" if f.unit else "") for f in i.features)
        where = (
            f"{i.collection}, up to {i.max_objects}, mask {i.mask}"
            if i.kind == "objects" else "event"
        )  # fmt: skip
        out.append(f"  input {i.name} ({where}): {feats}")
    disc = f"; discriminants: {', '.join(card.discriminants)}" if card.discriminants else ""
    out.append(f"  outputs {card.output_tensor}: {', '.join(card.output_names)}{disc}")
    for e in card.data["onnx"]:
        out.append(f"  onnx {e['file']} sha256 {e['sha256']}")
    folds = card.data.get("folds") or {}
    if card.folds > 1:
        out.append(f"  folds: model i serves events with {folds.get('key')} % {card.folds} == i")
    out.append(f"  recipe: {prov.get('command', '')} ({prov.get('date', '')}); samples: "
               + "; ".join(smp.get("command", "") for smp in prov.get("samples", [])))
    metrics = prov.get("metrics") or {}
    sel = metrics.get("training_selection") or {}
    if "auc_class0_vs_rest" in sel:
        out.append(f"  held-out AUC({card.output_names[0]} vs rest) = "
                   f"{sel['auc_class0_vs_rest']:.3f}, accuracy {sel.get('accuracy', 0):.3f}")
    if "resolution" in sel:
        out.append(f"  held-out resolution {sel['resolution']:.3f}, bias {sel.get('bias', 0):+.3f}")
    return out
