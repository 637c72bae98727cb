"""What each tracked ECS task is doing: DescribeTasks rounds, and task state change events when there are.

Polling (no events queue): each round, at most every `poll_interval`, describes every tracked task, 100
a call. With events (`reconcile_interval` set), views arrive through `observe()` from the events reader,
and a round describes only the tasks nothing has been heard of for `reconcile_interval` seconds, its calls
filled up to 100 tasks with the next-longest unheard: a lost event delays a task's end by at most about
`reconcile_interval`, and a quiet task costs one hundredth of a call per interval. Both sources go through
one reducer (task_state.py), which orders views by the task's `version`; only phase changes are reported.

A round that fails is one warning line with AWS's error code, at most once per `warning_interval` however
long the outage, and one line when a round works again: no traceback per round at 3 a.m.
"""

from __future__ import annotations

import heapq
import logging
import math
import queue
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from farflow.executor.heartbeat_first import never_wait
from farflow.executor.messages import Message, PhaseChanged, TaskMissing
from farflow.executor.outcomes import (
    LaunchVerdict,
    classify_describe_failure,
    classify_launch_error,
    error_code,
)
from farflow.executor.redaction import redact
from farflow.executor.task_state import Freshness, Known, Phase, View, reduce, view_of
from farflow.executor.throttled_log import ThrottledLog

log = logging.getLogger(__name__)

DESCRIBE_BATCH = 100  # ECS's limit on tasks per DescribeTasks call
# Tasks no longer followed whose late events (at least once, unordered) are still recognised as ours.
ENDED_REMEMBERED = 10_000
BATCHES_IN_FLIGHT = 4


class Tracker:
    """Watches task ARNs. `poke()` (from sync) starts a round when the last one is done and the interval passed."""

    def __init__(
        self,
        client: Callable[[], Any],
        cluster: str,
        results: queue.SimpleQueue[Message],
        poll_interval: float,
        clock: Callable[[], float] = time.monotonic,
        *,
        reconcile_interval: float | None = None,
        started_by: str | None = None,
        wall_clock: Callable[[], float] = time.time,
        warning_interval: float = 60.0,
        on_credentials_error: Callable[[], None] = lambda: None,
        wait_for_heartbeat: Callable[[], object] = never_wait,
    ) -> None:
        self._client = client
        # Holds off while the scheduler's heartbeat runs (heartbeat_first.py).
        self._wait_for_heartbeat = wait_for_heartbeat
        self._cluster = cluster
        self._results = results
        self._poll_interval = poll_interval
        self._clock = clock
        self._wall_clock = wall_clock
        self._reconcile_interval = reconcile_interval
        self._started_by = started_by
        self._known: dict[str, Known] = {}
        # Events of our own tasks that came before RunTask's answer was handed to track(): kept a while.
        self._early: dict[str, tuple[View, float]] = {}
        # The last tasks untracked: their late events are duplicates or stale, not early.
        self._ended: OrderedDict[str, None] = OrderedDict()
        self._events_healthy = True
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._last_round: float | None = None
        self._failure_log = ThrottledLog(warning_interval, clock, log)
        self._on_credentials_error = on_credentials_error
        self.failed_rounds = 0  # in a row; reset by a round that works
        self._thread = threading.Thread(target=self._run, name="farflow-tracker", daemon=True)
        # A round's batches go out together: at 250 ms a call, 1000 tasks take one call's time, not ten.
        self._batches = ThreadPoolExecutor(
            max_workers=BATCHES_IN_FLIGHT, thread_name_prefix="farflow-describe"
        )
        self.describe_calls = 0
        self.rounds = 0
        self.views: Counter[str] = Counter()  # events by freshness, plus "foreign" and "early"

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
        self._batches.shutdown(wait=False, cancel_futures=True)

    def track(self, arn: str, phase: Phase = "pending") -> None:
        """Follow a task. An adopted one is described in the next round; an event that came early counts."""
        now = self._clock()
        with self._lock:
            if arn in self._known:
                return
            self._known[arn] = Known(phase, heard_at=float("-inf") if phase == "adopted" else now)
            self._ended.pop(arn, None)
            early = self._early.pop(arn, None)
        if early is not None:
            self.views[self._apply(early[0], early[1]).value] += 1

    def untrack(self, arn: str) -> None:
        with self._lock:
            if self._known.pop(arn, None) is not None:
                self._ended[arn] = None
                if len(self._ended) > ENDED_REMEMBERED:
                    self._ended.popitem(last=False)

    def tracked(self) -> list[str]:
        with self._lock:
            return list(self._known)

    def poke(self) -> None:
        self._wake.set()

    # -- events ------------------------------------------------------------------------------------------

    def observe(self, view: View) -> None:
        """An event's view of a task (events reader thread). Tasks of other clients are ignored."""
        age = max(0.0, self._wall_clock() - view.at) if view.at is not None else 0.0
        now = self._clock() - age  # when the event happened, on the tracker's clock
        with self._lock:
            tracked = view.arn in self._known
            if not tracked:
                self.views[self._untracked_freshness(view, now)] += 1
        if tracked:
            self.views[self._apply(view, now).value] += 1

    def _untracked_freshness(self, view: View, now: float) -> str:
        """An event of a task not followed (lock held): another client's, one that has ended, or early."""
        if self._started_by is None or view.task.get("startedBy") != self._started_by:
            return "foreign"
        if view.arn in self._ended:  # an at-least-once copy, or one that lost the race with the sweep
            return str((Freshness.DUPLICATE if view.phase == "stopped" else Freshness.STALE).value)
        return self._hold_early(view, now)

    def _hold_early(self, view: View, now: float) -> str:
        """Keep the newest event of a task not yet tracked (lock held); an older one is stale, the same a
        duplicate, as once it is tracked."""
        held = self._early.get(view.arn)
        if held is None or _newer(view, held[0]):
            self._early[view.arn] = (view, now)
            return "early"
        same = view.version == held[0].version and view.phase == held[0].phase
        return str((Freshness.DUPLICATE if same else Freshness.STALE).value)

    def events_healthy(self, healthy: bool) -> None:
        """While the events queue cannot be read, every task is described every round, as when polling."""
        if healthy != self._events_healthy:
            self._events_healthy = healthy
            if healthy:
                log.warning("The task events queue is readable again; DescribeTasks only reconciles.")
            else:
                log.warning("The task events queue cannot be read; describing every task each round.")

    # -- rounds ------------------------------------------------------------------------------------------

    def _due(self) -> bool:
        return self._last_round is None or self._clock() - self._last_round >= self._poll_interval

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait()
            if self._stop.is_set():
                return
            if not self._due():
                assert self._last_round is not None
                self._stop.wait(self._poll_interval - (self._clock() - self._last_round))
                continue
            self._wake.clear()
            self._last_round = self._clock()
            try:
                self.describe_round()
            except Exception as error:
                self._round_failed(error)
            else:
                self._round_worked()

    def _round_failed(self, error: Exception) -> None:
        """One line with AWS's error code, once per log interval; a traceback only for what is not AWS's."""
        self.failed_rounds += 1
        if classify_launch_error(error) is LaunchVerdict.CREDENTIALS:
            self._on_credentials_error()
        self._failure_log.warning(
            "DescribeTasks failed (%s: %s), %d round(s) in a row; %d tracked task(s) keep their last known "
            "state until it works again. Retrying every %g s; this warning repeats at most every %g s.",
            error_code(error),
            redact(str(error)),
            self.failed_rounds,
            len(self.tracked()),
            self._poll_interval,
            self._failure_log.interval,
            exc_info=not isinstance(error, (ClientError, BotoCoreError)),
        )

    def _round_worked(self) -> None:
        if self.failed_rounds:
            log.warning("DescribeTasks works again, after %d failed round(s).", self.failed_rounds)
            self.failed_rounds = 0

    def describe_round(self) -> None:
        self._wait_for_heartbeat()
        arns = self._select(self.tracked())
        if not arns:
            return
        self.rounds += 1
        for response in self._describe(arns):
            self._wait_for_heartbeat()
            now = self._clock()
            for task in response.get("tasks", []):
                self._apply(view_of(task, described=True), now)
            for failure in response.get("failures", []):
                if classify_describe_failure(failure) == "missing" and failure.get("arn"):
                    self._results.put(TaskMissing(failure["arn"]))

    def _select(self, arns: list[str]) -> list[str]:
        """Polling: all. With events: those unheard of for reconcile_interval, calls filled up to 100."""
        if self._reconcile_interval is None or not self._events_healthy:
            return arns
        now = self._clock()
        with self._lock:
            self._forget_early(now)
            heard = [(self._known[arn].heard_at, arn) for arn in arns if arn in self._known]
        due = sum(1 for heard_at, _ in heard if now - heard_at >= self._reconcile_interval)
        if not due:
            return []
        return [arn for _, arn in heapq.nsmallest(math.ceil(due / DESCRIBE_BATCH) * DESCRIBE_BATCH, heard)]

    def _forget_early(self, now: float) -> None:
        """Early events nobody claimed (a task already finished, or never ours): dropped after a while."""
        keep = self._reconcile_interval or self._poll_interval
        for arn in [arn for arn, (_, at) in self._early.items() if now - at > keep]:
            del self._early[arn]

    def known(self, arns: Sequence[str]) -> set[str]:
        """Which of `arns` ECS still knows (for adoption); raises what DescribeTasks raises."""
        return {task["taskArn"] for response in self._describe(arns) for task in response.get("tasks", [])}

    def _describe(self, arns: Sequence[str]) -> Iterator[Mapping[str, Any]]:
        """DescribeTasks for `arns`, 100 a call, the calls in flight together; yields each answer in order."""
        batches = [arns[start : start + DESCRIBE_BATCH] for start in range(0, len(arns), DESCRIBE_BATCH)]
        self.describe_calls += len(batches)
        calls = [self._batches.submit(self._describe_batch, list(batch)) for batch in batches]
        for call in calls:
            yield call.result()

    def _describe_batch(self, batch: list[str]) -> Mapping[str, Any]:
        response: Mapping[str, Any] = self._client().describe_tasks(cluster=self._cluster, tasks=batch)
        return response

    def _apply(self, view: View, now: float) -> Freshness:
        """Fold one view into what is known; report a phase change to the scheduler thread."""
        with self._lock:  # held while reporting, so two sources' reports keep the versions' order
            known = self._known.get(view.arn)
            if known is None:
                return Freshness.STALE  # untracked meanwhile
            self._known[view.arn], freshness = reduce(known, view, now)
            if freshness is Freshness.CHANGED:
                self._results.put(PhaseChanged(view.arn, view.phase, view.task))
        return freshness


def _newer(view: View, than: View) -> bool:
    return view.version is not None and (than.version is None or view.version > than.version)
