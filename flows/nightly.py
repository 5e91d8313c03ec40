"""The nightly consolidation as a Prefect flow: find returns → read and validate → load →
materialize → publish → write the run summary. Each stage of flows/steps.py runs as one
coarse task (a Prefect task costs a few milliseconds of fixed overhead, so never one per
file); only the stages that touch files outside the warehouse retry.

The per-chunk stages (reading returns, writing feedback workbooks; up to hundreds of files
a task) go to a Prefect task runner: Prefect's ProcessPoolTaskRunner, one process per core,
or, when the `dask_address` setting names a Dask scheduler, that cluster (prefect-dask, the
optional extra `[dask]`, imported only then); more than one chunk are as many as keep
every worker equally busy (steps.chunks). Without Dask, a run with a single chunk of a kind
keeps it in its own process: starting worker processes, each importing Prefect (about 3 s
of CPU), would cost more than the chunk. The workers report to the run's own Prefect
server.

No `from __future__ import annotations` here: Prefect validates a served run's parameters
against the flow's signature, which it must be able to resolve (`Path`) where it loads the
flow from."""

import os
import uuid
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from pathlib import Path
from urllib.parse import urlsplit

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run
from prefect.schedules import Cron

from contracts.reference import TIME_ZONE
from flows import steps
from flows.settings import Settings, SettingsError, load_settings
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
def publish_artifacts(summary: Mapping) -> None:
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


MIN_CHUNKS_FOR_WORKERS = 2  # fewer chunks run in the run's own process (see above)
DASK_WORKERS_WAIT = 60  # seconds a run waits for a Dask cluster to have a worker
LOOPBACK = ("localhost", "127.", "::1", "[::1]")


def worker_processes() -> int:
    """Worker processes on this machine: Prefect's own setting when given, else one per
    core this process may use (a container's limit, not the host's count)."""
    from prefect.settings import get_current_settings

    given = get_current_settings().tasks.runner.process_pool_max_workers
    return given or len(os.sched_getaffinity(0))


@contextmanager
def chunk_runner(settings: Settings) -> Iterator[tuple[steps.Spread, int]]:
    """The `spread` of steps.consolidate (each chunk of a per-chunk stage submitted as a
    task to the task runner the settings choose; futures of their results, in order) and
    how many processes it spreads over (a Dask cluster's: its worker processes)."""
    runner = dask_runner(settings.dask_address) if settings.dask_address else None
    if runner is None:
        from prefect.task_runners import ProcessPoolTaskRunner

        from flows.cli import console_logs
        runner = ProcessPoolTaskRunner(max_workers=worker_processes(), initializer=console_logs)
    local = not settings.dask_address

    def spread(step, calls: list[dict]) -> list:
        chunk_task = as_task(step)
        if local and len(calls) < MIN_CHUNKS_FOR_WORKERS:
            return [chunk_task.submit(**call) for call in calls]  # a thread of this process
        return [runner.submit(chunk_task, parameters=call) for call in calls]

    with workers_report_here(settings.dask_address), ExitStack() as started:
        try:
            started.enter_context(runner)
            workers = worker_processes()
            if settings.dask_address:  # connects now, not at the first chunk
                runner.client.wait_for_workers(1, timeout=DASK_WORKERS_WAIT)
                # one chunk at a time per worker process: reading holds the GIL, so a
                # worker's threads would share one core
                workers = max(1, len(runner.client.nthreads()))
        except (OSError, TimeoutError) as exc:  # said before any work
            if not settings.dask_address:
                raise
            raise RuntimeError(
                f"không kết nối được bộ điều phối Dask tại {settings.dask_address} ({exc}): "
                f"kiểm tra HTX_DASK_ADDRESS và cụm Dask có máy chạy / cannot reach the Dask "
                f"scheduler at {settings.dask_address}, or it has no worker: check "
                f"HTX_DASK_ADDRESS and that the cluster runs with workers") from None
        yield spread, workers


def dask_runner(address: str):
    """prefect-dask's DaskTaskRunner on the scheduler at `address` (a SettingsError, one
    line, when the extra is not installed)."""
    try:
        from prefect_dask import DaskTaskRunner
    except ImportError:
        raise SettingsError(
            f"HTX_DASK_ADDRESS={address!r}: cần cài phần mở rộng dask / needs the dask "
            f"extra: pip install 'htx-consolidation[dask]'") from None
    return DaskTaskRunner(address=address)


@contextmanager
def workers_report_here(dask_address: str | None = None) -> Iterator[None]:
    """Workers use the run's Prefect server. With no PREFECT_API_URL the run's server is
    the embedded one, which a worker process would not know of and would start a server of
    its own (seconds, per worker): its address is given to them for the run. A server
    only this machine can reach (a loopback address) cannot serve a cluster's other
    machines: refused, in one line, before any work."""
    from prefect.settings import PREFECT_API_URL, get_current_settings, temporary_settings

    url = get_current_settings().api.url
    server = None
    if not url:
        from prefect.server.api.server import SubprocessASGIServer

        server = SubprocessASGIServer()  # the one this process's client started
        url = server.api_url if server.running else None
    if dask_address and url and _loopback(url) and not _loopback(dask_address):
        raise SettingsError(
            f"HTX_DASK_ADDRESS={dask_address!r}: các máy của cụm Dask không tới được máy chủ "
            f"Prefect {url}; đặt PREFECT_API_URL là địa chỉ chúng tới được / the Dask "
            f"cluster's machines cannot reach Prefect's server at {url}: set PREFECT_API_URL "
            f"to a server they can reach")
    if server is None or url is None:
        yield
        return
    with temporary_settings(updates={PREFECT_API_URL: url}):
        yield


def _loopback(address: str) -> bool:
    """Whether an address (URL or host:port) names this machine only."""
    host = urlsplit(address if "://" in address else f"tcp://{address}").hostname or ""
    return host.startswith(LOOPBACK) or host in ("localhost", "::1")


@flow(name="nightly_consolidation")
def nightly_consolidation(inbox: Path | None = None, warehouse: Path | None = None,
                          reports: Path | None = None, archive: Path | None = None
                          ) -> Mapping:
    """Consolidate every new return of the inbox into the warehouse and publish it."""
    settings = load_settings(inbox=inbox, warehouse=warehouse, reports=reports, archive=archive)
    with chunk_runner(settings) as (spread, workers):
        summary = steps.consolidate(settings, flow_run.get_id() or str(uuid.uuid4()),
                                    stage=as_task, spread=spread, workers=workers)
    publish_artifacts(summary)
    return summary


def serve() -> None:
    """Serve the nightly deployment on the Prefect server PREFECT_API_URL names."""
    nightly_consolidation.serve(name=DEPLOYMENT, schedules=[SCHEDULE],
                                description=nightly_consolidation.__doc__)
