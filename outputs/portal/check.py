"""The check of an uploaded return, as the district sees it at once: the nightly run's
reader and rules, the cross-return checks against the published warehouse (read only),
every failure with its sheet, cell, rule, value and Vietnamese message, and the feedback
workbook. No Prefect on this path."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from contracts.reference import TARGETS_CSV, load_reporting_units
from outputs.feedback import write_feedback
from transforms.failures import failure_record
from transforms.reporting_units import reporting_units
from transforms.returns import read_return
from transforms.targets import read_targets
from warehouse.published_checks import check_against_published, incoming

log = logging.getLogger("htx.portal")
FAILURE_FIELDS = ("failure_id", "sheet", "cell", "rule_code", "severity", "value_found",
                  "message_vi")


@dataclass(frozen=True)
class CheckPlace:
    """Where the check reads and writes: the published warehouse, the reference files,
    the deadlines, and the folder of the portal's feedback workbooks."""

    warehouse: Path
    reporting_units: Path | None
    targets: Path | None
    deadlines: tuple[int, tuple[int, int]]
    feedback: Path


def check_return(place: CheckPlace, path: Path, file_name: str, sha256: str,
                 size: int) -> dict:
    """The check's answer for the file at `path` (never raises for a bad file): its
    district and period as read, check_status, failures (errors first, in sheet order),
    and the path of its feedback workbook when there is anything to fix."""
    started = time.perf_counter()
    units = load_reporting_units(place.reporting_units)
    read = read_return(path, reporting_units(units), file_name)
    reference = (units, read_targets(place.targets or TARGETS_CSV))
    read, cross = check_against_published(place.warehouse, incoming(path, file_name, sha256, size),
                                     read, place.deadlines, reference)
    rows = [failure_record(f, sha256) for f in read.failures]
    rows += cross.to_dict("records") if not cross.empty else []
    status = ("unreadable" if not read.readable else
              "rejected" if any(r["severity"] == "error" for r in rows)
              or read.unit_code is None or read.period is None else "accepted")
    names = dict(zip(units["code"], units["name"]))
    result = {"submission_id": sha256, "file_name": file_name, "district_code": read.unit_code,
              "district_name": names.get(read.unit_code), "period": read.period.code
              if read.period else None, "check_status": status,
              "failures": [_failure(r) for r in rows]}
    result["feedback_path"] = _feedback(place, path, result) if rows else None
    log.info("%s checked in %.2f s", file_name, time.perf_counter() - started)
    return result


def _failure(record: dict) -> dict:
    return {k: (None if pd.isna(record.get(k)) else record.get(k)) for k in FAILURE_FIELDS}


def _feedback(place: CheckPlace, path: Path, result: dict) -> str | None:
    """The feedback workbook (one per file, by its hash); None when the file cannot take
    one (the check still lists every failure)."""
    try:
        return str(write_feedback(path, result["failures"], place.feedback / result[
            "submission_id"][:16], district_name=result["district_name"] or "",
            period=result["period"] or "", file_name=result["file_name"],
            district_code=result["district_code"]))
    except Exception as exc:  # noqa: BLE001 - a file the editor cannot take has no workbook
        log.warning("%s: no feedback workbook (%s: %s)", result["file_name"],
                    type(exc).__name__, exc)
        return None


def by_sheet(failures: list[dict]) -> dict[str, list[dict]]:
    """Failures grouped by sheet (failures of the whole file under ''), errors first."""
    groups: dict[str, list[dict]] = {}
    for f in sorted(failures, key=lambda f: (f["severity"] != "error", f["sheet"] or "",
                                             f["cell"] or "")):
        groups.setdefault(f["sheet"] or "", []).append(f)
    return groups
