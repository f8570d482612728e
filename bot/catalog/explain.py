"""A catalog entry as plain text: `iambot explain` and `/iam explain` show the same words."""

from __future__ import annotations

from collections.abc import Mapping

from bot.catalog.model import Entry

GENERIC_FACTORS = ("root-actor", "console-without-mfa", "failed-call", "automation")


def explain_text(entry: Entry, titles: Mapping[str, str]) -> str:
    lines = [
        f"{entry.name} ({entry.source}): {entry.title}" + ("  [first-class]" if entry.first_class else ""),
        f"Base severity: {entry.base_severity}"
        + "".join(f"; {c.severity} when {', '.join(c.when)}" for c in entry.summary if c.severity and c.when),
        "",
        "What it means: " + " ".join(entry.meaning.split()),
        "",
        "Why it matters: " + " ".join(entry.why.split()),
        "",
        "ATT&CK: " + (", ".join(entry.attack) if entry.attack else "no direct technique"),
        "Risk factors: " + ", ".join([*GENERIC_FACTORS, *entry.factors]),
    ]
    if entry.targets:
        lines.append("Targets: " + ", ".join(entry.targets))
    if entry.remediations:
        lines.append("Remediations:")
        for offer in entry.remediations:
            params = ", ".join(f"{k} ← {v}" for k, v in offer.params.items()) or "no parameters"
            when = f" when {', '.join(f'{k} = {v}' for k, v in offer.when.items())}" if offer.when else ""
            lines.append(f"  • {offer.id} ({titles.get(offer.id, offer.id)}): {params}{when}")
    lines.append("Docs: " + "  ".join(entry.docs))
    return "\n".join(lines)
