"""The model worker: one thread that coalesces the inputs of concurrent requests into batches.

Requests `submit` their inputs (with their validated parameters) to a bounded queue and wait on a
future. The worker takes the oldest request and, while other requests are still arriving (being read
and checked), waits up to `max_wait_ms` for them (or until `max_batch_size` inputs are waiting); a lone
request does not wait. Then it takes everything waiting, up to `GATHER_BATCHES` batches'
worth, and hands the inputs of requests with equal parameters to the pipeline in one call
(`Pipeline.iter_results`, which sorts them by length and runs `max_batch_size`-sized batches). Each
input's result is exactly what the pipeline gives for it; an input the pipeline rejects yields its
exception in its place and the others are unaffected.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from albert.serve.metrics import Metrics

logger = logging.getLogger(__name__)

# Under load, how many batches' worth of waiting inputs one pipeline call may take: more inputs to sort
# by length (less padding) against a longer wait for the first of them.
GATHER_BATCHES = 4


class QueueFull(Exception):
    """The queue holds `max_queue` inputs already (answered 429)."""


@dataclass(eq=False)
class Job:
    """One request's inputs; `future` gets a list with a result or an exception per input."""

    items: list[Any]
    params: dict[str, Any]  # merged and validated by the pipeline
    key: str  # requests with the same key share pipeline calls
    future: Future = field(default_factory=Future)
    arrived: float = field(default_factory=time.monotonic)


def params_key(parameters: dict[str, Any]) -> str:
    """Requests whose parameters (as sent) serialise the same are run together."""
    return json.dumps(parameters, sort_keys=True, default=repr)


class BatchWorker:
    """Runs `pipe` on the queued jobs in a daemon thread (`start`, then `stop` to drain and end)."""

    def __init__(
        self,
        pipe: Any,
        *,
        max_batch_size: int,
        max_wait_ms: float,
        max_queue: int,
        metrics: Metrics,
        arriving: Callable[[], int] = lambda: 1,
    ) -> None:
        """`arriving()`: how many requests are on their way to `submit` (waiting for them may pay off);
        the default always waits `max_wait_ms`."""
        self.pipe = pipe
        self.max_batch_size = max_batch_size
        self.max_wait_s = max_wait_ms / 1000
        self.max_queue = max_queue
        self.metrics = metrics
        self.arriving = arriving
        self._queue: deque[Job] = deque()
        self._queued_items = 0
        self._cond = threading.Condition()
        self._stopping = False
        self._thread = threading.Thread(target=self._loop, name="albert-model-worker", daemon=True)

    @property
    def queued_items(self) -> int:
        return self._queued_items

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float | None = None) -> bool:
        """Finish the queued jobs, then end the thread; False if it is still running after `timeout`
        seconds (a pipeline call cannot be interrupted; the daemon thread ends with the process)."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread.is_alive():
            self._thread.join(timeout)
        return not self._thread.is_alive()

    def submit(self, items: list[Any], params: dict[str, Any], key: str) -> Job:
        """Queue one request's inputs; raises QueueFull when they do not fit."""
        job = Job(items, params, key)
        with self._cond:
            if self._stopping:
                raise QueueFull("the server is shutting down")
            if self._queued_items + len(items) > self.max_queue:
                raise QueueFull(
                    f"the queue is full ({self._queued_items} of {self.max_queue} inputs waiting); retry later"
                )
            self._queue.append(job)
            self._set_depth(self._queued_items + len(items))
            self._cond.notify_all()
        return job

    def cancel(self, job: Job) -> bool:
        """Take a job out of the queue (its client left or timed out); False if it is already running."""
        with self._cond:
            try:
                self._queue.remove(job)
            except ValueError:  # taken by the worker: dropped unless its pipeline call has begun
                return job.future.cancel()
            self._set_depth(self._queued_items - len(job.items))
        job.future.cancel()
        return True

    def _set_depth(self, n: int) -> None:
        self._queued_items = n
        self.metrics.queue_depth.set(n)

    def _loop(self) -> None:
        while (jobs := self._next_jobs()) is not None:
            try:
                self._run(jobs)
            except BaseException as e:  # a bug, not an input problem: fail these requests, keep serving
                logger.exception("the model worker failed on a batch")
                for job in jobs:
                    if not job.future.done():
                        job.future.set_exception(e)

    def _next_jobs(self) -> list[Job] | None:
        """Wait for work; the jobs to run next, or None once stopping with an empty queue."""
        with self._cond:
            while not self._queue:
                if self._stopping:
                    return None
                self._cond.wait()
            deadline = self._queue[0].arrived + self.max_wait_s
            while self._queued_items < self.max_batch_size and not self._stopping and self.arriving() > 0:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)
            jobs, taken = [], 0
            while self._queue and (
                not jobs or taken + len(self._queue[0].items) <= self.max_batch_size * GATHER_BATCHES
            ):
                job = self._queue.popleft()
                jobs.append(job)
                taken += len(job.items)
            self._set_depth(self._queued_items - taken)
            return jobs

    def _run(self, jobs: list[Job]) -> None:
        """One pipeline call per parameter set over all its jobs' inputs; results back to each job."""
        groups: dict[str, list[Job]] = {}
        for job in jobs:
            groups.setdefault(job.key, []).append(job)
        for group in groups.values():
            # Marked running only now: a job that timed out while an earlier group ran is cancelled, and
            # skipped, instead of computed for nobody.
            group = [job for job in group if job.future.set_running_or_notify_cancel()]
            if not group:
                continue
            items = [item for job in group for item in job.items]
            self.metrics.batch_size.observe(len(items))
            results = list(
                self.pipe.iter_results(items, group[0].params, return_errors=True, window=len(items))
            )
            start = 0
            for job in group:
                job.future.set_result(results[start : start + len(job.items)])
                start += len(job.items)
