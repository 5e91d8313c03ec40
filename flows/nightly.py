"""The nightly consolidation as a Prefect flow: find returns → read and validate → load →
materialize → publish → write the run summary. Each stage of flows/steps.py runs as one
coarse task (a Prefect task costs a few milliseconds of fixed overhead, so never one per
file); only the stages that touch files outside the warehouse retry.

No `from __future__ import annotations` here: Prefect validates a served run's parameters
against the flow's signature, which it must be able to resolve (`Path`) where it loads the
flow from."""

import uuid
from pathlib import Path

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run
from prefect.schedules import Cron

from contracts.reference import TIME_ZONE
from flows import steps
from flows.settings import load_settings
from outputs.escape import terminal_text

DEPLOYMENT = "nightly"
SCHEDULE = Cron("0 1 * * *", timezone=TIME_ZONE)  # 01:00 every night, Vietnam time


def as_task(step):
    """A stage as a Prefect task named by its verb; a stage declared `retried` (it touches
    files outside the warehouse) is tried twice more."""
    retries = 2 if getattr(step, "retried", False) else 0
    return task(step, name=step.__name__, retries=retries, retry_delay_seconds=3,
                cache_policy=NO_CACHE)


@task(name="publish_artifacts", cache_policy=NO_CACHE)
def publish_artifacts(summary: dict) -> None:
    """The run summary and its table of failures, shown in the Prefect UI for the run (the
    summary's markdown has every text from data escaped; the table's cells are plain text,
    without control characters)."""
    create_markdown_artifact(summary["markdown"], key="htx-run-summary",
                             description="Tổng hợp lần chạy")
    failures = [{k: terminal_text(f[k], one_line=True) if isinstance(f[k], str) else f[k]
                 for k in ("file_name", "cell", "rule_code", "severity", "message_vi",
                           "failure_id", "waived")} for f in summary["failures"]]
    create_table_artifact(failures or [{"message_vi": "Không có lỗi"}],
                          key="htx-validation-failures", description="Lỗi và cảnh báo")


@flow(name="nightly_consolidation")
def nightly_consolidation(inbox: Path | None = None, warehouse: Path | None = None,
                          reports: Path | None = None, archive: Path | None = None) -> dict:
    """Consolidate every new return of the inbox into the warehouse and publish it."""
    settings = load_settings(inbox=inbox, warehouse=warehouse, reports=reports, archive=archive)
    summary = steps.consolidate(settings, flow_run.get_id() or str(uuid.uuid4()), stage=as_task)
    publish_artifacts(summary)
    return summary


def serve() -> None:
    """Serve the nightly deployment on the Prefect server PREFECT_API_URL names."""
    nightly_consolidation.serve(name=DEPLOYMENT, schedules=[SCHEDULE],
                                description=nightly_consolidation.__doc__)
