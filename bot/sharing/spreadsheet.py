"""The services as one spreadsheet for the neighbourhood team: one row per service.

UTF-8 with a byte order mark and `;` between columns, because that is what Excel with Dutch
settings opens straight into columns on a double click (with `,` it shows one long column;
without the mark it garbles ë and ö). Cells with several values put one per line, so Excel
shows them stacked in the cell.
"""

from __future__ import annotations

import csv
from pathlib import Path

from bot.knowledge.model import KnowledgeBase, Service

COLUMNS = (
    "id",
    "name",
    "description",
    "themes",
    "areas",
    "phone",
    "email",
    "website",
    "address",
    "opening hours",
    "checked",
    "sources",
)
DELIMITER = ";"


def service_row(kb: KnowledgeBase, service: Service) -> dict[str, str]:
    """One service as the team reads it: Dutch texts, theme names, one value per line."""
    contact = service.contact
    hours = [f"{channel}: {expression}" for channel, expression in service.opening_hours.items()]
    hours += [service.hours_note("nl") or ""]
    return {
        "id": service.id,
        "name": service.name,
        "description": service.describe("nl"),
        "themes": "\n".join(kb.themes[t].name["nl"] for t in service.themes),
        "areas": "\n".join(service.areas),
        "phone": "\n".join(contact.phones),
        "email": contact.email or "",
        "website": contact.website or "",
        "address": contact.address or "",
        "opening hours": "\n".join(h for h in hours if h),
        "checked": service.checked,
        "sources": "\n".join(service.sources),
    }


def export_csv(kb: KnowledgeBase, path: Path) -> Path:
    """Write every service to `path` (a .csv file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=COLUMNS, delimiter=DELIMITER)
        writer.writeheader()
        for service in kb.services.values():
            writer.writerow(service_row(kb, service))
    return path
