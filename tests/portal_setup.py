"""A real portal for the tests: the demo province generated, all but two districts'
returns consolidated into a real warehouse by the pipeline's own steps (no Prefect),
and accounts made as `htx user add` makes them."""

from __future__ import annotations

import json
import shutil
import uuid
from dataclasses import dataclass, replace
from pathlib import Path

from accounts.users import add_user
from contracts.reference import load_reporting_units
from flows.portal import places
from flows.settings import Settings
from flows.steps import consolidate

PASSWORD = "mat-khau-thu-nghiem"
HELD_BACK = ("119", "120")  # their returns are uploaded through the portal
ACCOUNTS = {"huyen119": ("district", "119"), "huyen120": ("district", "120"),
            "thamdinh": ("steward", None), "phantich": ("analyst", None)}


@dataclass
class PortalSite:
    settings: Settings
    returns: dict[str, Path]  # unit code -> its demo return
    faults: list[dict]  # the manifest's deliberate faults

    @property
    def db(self) -> Path:
        return places(self.settings).database


def build_site(root: Path) -> PortalSite:
    from demo.province import write_demo_returns
    from transforms.periods import period_from_code

    written = write_demo_returns(root / "generated", period_from_code("2023"), 2023)
    returns = {p.name.split("_")[0]: p for p in written}
    settings = Settings(inbox=root / "data" / "inbox", warehouse=root / "data" / "warehouse.duckdb",
                        reports=root / "data" / "reports", archive=root / "data" / "archive",
                        settle_seconds=0, max_file_mb=1)
    settings.inbox.mkdir(parents=True)
    for code, path in returns.items():
        if code not in HELD_BACK:
            shutil.copy2(path, settings.inbox / path.name)
    consolidate(settings, uuid.uuid4().hex)
    known = set(load_reporting_units()["code"])
    for name, (role, unit) in ACCOUNTS.items():
        add_user(places(settings).database, name, role, unit, PASSWORD, known)
    manifest = json.loads((root / "generated" / "manifest.json").read_text(encoding="utf-8"))
    return PortalSite(settings, returns, manifest["faults"])


def settings_env(site: PortalSite) -> dict[str, str]:
    """The environment that gives `htx web` this site's settings."""
    s = site.settings
    return {"HTX_INBOX": str(s.inbox), "HTX_WAREHOUSE": str(s.warehouse),
            "HTX_REPORTS": str(s.reports), "HTX_ARCHIVE": str(s.archive),
            "HTX_SETTLE_SECONDS": "0", "HTX_MAX_FILE_MB": "1"}


def without_warehouse(site: PortalSite) -> PortalSite:
    """The same site (its portal database beside) with no published warehouse yet."""
    s = site.settings
    none = s.warehouse.parent / "not_published_yet.duckdb"
    changed = s.model_copy(update={"warehouse": none}) \
        if hasattr(s, "model_copy") else replace(s, warehouse=none)
    return replace(site, settings=changed)
