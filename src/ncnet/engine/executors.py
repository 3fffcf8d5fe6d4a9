"""Where units of work train: ``inline`` (this process), ``pool`` (worker processes on this
machine) or ``ray`` (a Ray cluster, local or remote).

An executor gets an experiment, its config and the units to train, and yields
``(unit, records)`` as units finish. It calls ``experiment.train(config, unit)`` and knows
nothing else of the experiment; it writes nothing: the driver stores what comes back, so an
interrupted sweep keeps every unit that came back. Each unit is a pure function of (config,
unit), so where it trains does not change its records (same thread count per unit).

Stopping: when the driver stops a sweep early (an error, Ctrl-C, SIGTERM as
:class:`ncnet.engine.lifecycle.Terminated`), the pool kills its workers and Ray cancels its tasks
(the units in flight are lost, nothing of them was stored). When the driver is killed, the
pool's workers end with it (:func:`ncnet.engine.lifecycle.die_with_parent`), and so does a local Ray
instance (Ray shares its processes' fate with the driver that started them; a
:class:`ncnet.engine.lifecycle.Reaper` ends the agents its raylet started); on a cluster
given by address, Ray ends the tasks of a driver that died.
"""

from __future__ import annotations

import os
from collections.abc import Generator, Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from ncnet.engine import lifecycle
from ncnet.engine.seam import Progress, Unit

Kind = Literal["inline", "pool", "ray"]
Stream = Generator[tuple[Unit, list[dict[str, Any]]], None, None]
"""What ``run`` yields: (unit, records) as units finish; ``close()`` stops the units left."""


class ExecutorError(Exception):
    """The executor cannot start here (Ray missing, no cluster, no GPU); one line for the
    user."""


class ExecutorConfig(BaseModel):
    """How units are dispatched; the ``[executor]`` table of a sweep file."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    kind: Kind | None = Field(default=None, description="inline | pool | ray (default: ray "
                              "with an address or GPUs per task, pool when workers > 1, else "
                              "inline)")
    workers: int = Field(default=1, ge=1, le=4096,
                         description="units trained at once (pool processes; ray CPUs of a "
                                     "local cluster)")
    address: str | None = Field(default=None, description="Ray cluster: auto | HOST:PORT "
                                "(default: start a local one)")
    gpus_per_task: float = Field(default=0.0, ge=0, le=64,
                                 description="GPUs (or a fraction) each Ray task asks for")
    max_retries: int = Field(default=3, ge=0, le=100,
                             description="Ray: retries of a unit whose worker died")
    connect_timeout: float = Field(default=10.0, gt=0, le=600,
                                   description="seconds to reach a Ray cluster")

    def resolved_kind(self) -> Kind:
        if self.kind is not None:
            return self.kind
        if self.address or self.gpus_per_task:
            return "ray"
        return "pool" if self.workers > 1 else "inline"


class Executor(Protocol):
    def start(self) -> None: ...

    def run(self, experiment: Any, config: Any, units: Sequence[Unit],
            progress: Progress) -> Stream: ...

    def close(self) -> None: ...


def make(settings: ExecutorConfig) -> Executor:
    """The executor ``settings`` describe (not started; ``start()`` checks and connects)."""
    kind = settings.resolved_kind()
    if kind != "ray" and settings.gpus_per_task:
        raise ExecutorError("GPUs per task apply to the ray executor only")
    if kind != "ray" and settings.address:
        raise ExecutorError("a cluster address applies to the ray executor only")
    if kind == "inline":
        if settings.workers > 1:
            raise ExecutorError("the inline executor trains one unit at a time; use pool or "
                                "ray for several workers")
        return Inline()
    if kind == "pool":
        return Pool(settings.workers)
    return Ray(settings)


class Inline:
    """Every unit in this process, one after another, with per-epoch progress."""

    def start(self) -> None:
        pass

    def run(self, experiment: Any, config: Any, units: Sequence[Unit],
            progress: Progress) -> Stream:
        for unit in units:
            progress.unit(unit.label)
            yield unit, experiment.train(config, unit, progress.advance)

    def close(self) -> None:
        pass


_worker_state: dict[str, Any] = {}


def _init_worker(experiment: Any, config: Any, driver: int) -> None:
    """A pool worker: it dies with ``driver`` (the process that spawned it), leaves Ctrl-C to
    the driver (which kills it) and keeps the job."""
    import signal

    lifecycle.die_with_parent(driver)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _worker_state["job"] = (experiment, config)


def _train_in_worker(unit: Unit) -> list[dict[str, Any]]:
    experiment, config = _worker_state["job"]
    return experiment.train(config, unit)


class Pool:
    """``workers`` spawned processes on this machine; whole units are reported. One worker
    (or one unit) trains in this process instead, unless ``always_spawn``."""

    def __init__(self, workers: int, always_spawn: bool = False):
        self.workers = workers
        self.always_spawn = always_spawn

    def start(self) -> None:
        pass

    def run(self, experiment: Any, config: Any, units: Sequence[Unit],
            progress: Progress) -> Stream:
        if not units or not self.always_spawn and (self.workers <= 1 or len(units) <= 1):
            yield from Inline().run(experiment, config, units, progress)
            return
        import multiprocessing
        from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

        progress.unit(f"{self.workers} units at a time in worker processes" if self.workers > 1
                      else "training in a worker process")
        # spawn: each worker is a child of this process, started by the thread that submits
        # (this one, which outlives the workers), as the parent-death signal needs
        pool = ProcessPoolExecutor(max_workers=self.workers,
                                   mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_init_worker,
                                   initargs=(experiment, config, os.getpid()))
        try:
            pending = {pool.submit(_train_in_worker, unit): unit for unit in units}
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    unit = pending.pop(future)
                    records = future.result()
                    progress.advance(unit.work)
                    yield unit, records
        except BaseException:  # an error, Ctrl-C, SIGTERM, or the caller stopped early
            kill_workers(pool)
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def close(self) -> None:
        pass


def kill_workers(pool: Any) -> None:
    """Kill the worker processes of a ``ProcessPoolExecutor`` now (a unit they train is lost;
    they store nothing) and shut it down, without waiting for the units in flight."""
    # Python < 3.14 has no public way (3.14: kill_workers); its pool keeps them in _processes
    processes = list((getattr(pool, "_processes", None) or {}).values())
    for process in processes:
        try:
            process.kill()
        except (ProcessLookupError, ValueError):  # gone already, or closed
            pass
    for process in processes:
        process.join(timeout=10)
    pool.shutdown(wait=True, cancel_futures=True)


class Background(Pool):
    """The units one after another in one spawned worker process, so that this process is
    free meanwhile (the CLI loads the report's modules then); whole units are reported. Same
    records as :class:`Inline`."""

    def __init__(self) -> None:
        super().__init__(1, always_spawn=True)


def _ray_train(job: tuple[Any, Any], unit: Unit) -> list[dict[str, Any]]:
    experiment, config = job
    return experiment.train(config, unit)


HTTP2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + bytes([0, 0, 0, 4, 0, 0, 0, 0, 0])
"""The HTTP/2 connection preface and an empty SETTINGS frame: a gRPC server such as Ray's GCS
answers with a SETTINGS frame of its own."""


def probe(address: str, timeout: float) -> None:
    """``ExecutorError`` unless a gRPC server (a Ray cluster's GCS) answers at ``HOST:PORT``
    within ``timeout`` seconds; ``ray.init`` itself would wait minutes for a wrong address."""
    import socket

    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise ExecutorError(f"Ray address {address!r} is not auto or HOST:PORT")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout) as conn:
            conn.settimeout(timeout)
            conn.sendall(HTTP2_PREFACE)
            head = conn.recv(9)
    except OSError as err:
        reason = err.strerror or type(err).__name__
        raise ExecutorError(f"no Ray cluster answers at {address} ({reason})") from None
    if len(head) < 4 or head[3] != 4:  # not an HTTP/2 SETTINGS frame
        raise ExecutorError(f"no Ray cluster answers at {address} (something else listens "
                            "there)")


class Ray:
    """Units as Ray tasks (one CPU each, ``gpus_per_task`` GPUs); records stream back to the
    driver in the order units finish (``ray.wait``). A task whose worker dies is retried up
    to ``max_retries`` times; its records come back once."""

    def __init__(self, settings: ExecutorConfig):
        self.settings = settings
        self._started = False
        self._ray: Any = None
        self._reaper: lifecycle.Reaper | None = None

    def start(self) -> None:
        if self._ray is not None:  # started (or joined) already
            return
        try:
            import ray
        except ImportError:
            raise ExecutorError("the ray executor needs Ray, which is not installed: "
                                "pip install 'ncnet[ray]'") from None
        s = self.settings
        if s.address not in (None, "auto", "local"):
            probe(s.address, s.connect_timeout)
        if ray.is_initialized():  # a cluster this process joined already (e.g. a test's)
            self._ray = ray
            try:
                self._check_gpus()
            except ExecutorError:
                self._ray = None
                raise
            return
        if s.address is None and s.gpus_per_task:
            from ncnet.runtime.devices import gpu_count

            if gpu_count() == 0:
                raise ExecutorError(f"{s.gpus_per_task:g} GPUs per task asked for, but this "
                                    "machine has no GPU")
        kwargs: dict[str, Any] = {"logging_level": "ERROR", "log_to_driver": False,
                                  "include_dashboard": False}
        if s.address in (None, "local"):
            kwargs["num_cpus"] = s.workers if s.workers > 1 else None
        self._ray = ray
        local = s.address in (None, "local")
        # A local instance's processes take this process's fate (Ray's parent-death signal),
        # but its raylet's agents outlive a killed driver by about 20 s: a reaper kills the
        # process trees ray.init starts once this process ends. ray.init replaces the SIGTERM
        # handler with one that calls sys.exit; the caller's stays.
        self._reaper = lifecycle.Reaper() if local else None
        try:
            with lifecycle.kept_sigterm_handler(), self._watching_new_children():
                ray.init(address=None if local else s.address, **kwargs)
        except (ConnectionError, TimeoutError, RuntimeError, ValueError) as err:
            if s.address == "auto":
                raise ExecutorError("no running Ray cluster found on this machine; start one "
                                    "with `ray start --head` or give its HOST:PORT") from None
            first = (str(err).strip().splitlines() or [type(err).__name__])[0]
            raise ExecutorError(f"cannot reach a Ray cluster at {s.address}: {first}") from None
        finally:
            if not ray.is_initialized():
                self._ray = None
                self._close_reaper()
        self._started = True
        try:
            self._check_gpus()
        except ExecutorError:
            self.close()
            raise

    def _watching_new_children(self) -> AbstractContextManager[None]:
        return self._reaper.new_children() if self._reaper is not None else nullcontext()

    def _close_reaper(self) -> None:
        if self._reaper is not None:
            self._reaper.close()
            self._reaper = None

    def _check_gpus(self) -> None:
        if self.settings.gpus_per_task and not self._ray.cluster_resources().get("GPU", 0):
            raise ExecutorError(f"{self.settings.gpus_per_task:g} GPUs per task asked for, "
                                "but the Ray cluster has no GPU")

    def run(self, experiment: Any, config: Any, units: Sequence[Unit],
            progress: Progress) -> Stream:
        ray = self._ray
        s = self.settings
        task = ray.remote(_ray_train).options(num_cpus=1, num_gpus=s.gpus_per_task,
                                              max_retries=s.max_retries)
        job = ray.put((experiment, config))
        pending = {task.remote(job, unit): unit for unit in units}
        progress.unit(f"{len(units)} units as Ray tasks")
        try:
            while pending:
                ready, _ = ray.wait(list(pending), num_returns=1)
                for ref in ready:
                    unit = pending.pop(ref)
                    records = ray.get(ref)
                    progress.advance(unit.work)
                    yield unit, records
        finally:
            # Stopped early. A connection of our own ends with close(): ray.shutdown stops a
            # local instance, and a cluster ends the tasks of a driver that left. Cancelling
            # there too can crash the driver (Ray 2.60 aborts in task_manager.cc when a task
            # finishes while it is force-cancelled), so only a connection the caller made
            # gets its tasks cancelled.
            if not self._started:
                for ref in pending:
                    ray.cancel(ref, force=True)

    def close(self) -> None:
        if self._started:
            self._ray.shutdown()
            self._started = False
        self._close_reaper()
        self._ray = None
