"""Partnerflow's Prefect events, the resource of each being the partnership, so that operators can
attach automations to them (docs/operations.md shows one):

    partnerflow.gate.ready              a gatekeeper gate passes: the partnership waits for its votes
    partnerflow.partnership.advanced    an automatic gate passed: the partnership moved on
    partnerflow.task.opened             a review opened a task (payload: task, criterion)
    partnerflow.task.overdue            a task went past its due date and was escalated (level 1, 2)
    partnerflow.evidence.changed        evidence of the partnership was written (import, page, API)

A review emits at most MOST_PER_KIND events of each kind (a first review of a large portfolio
opens hundreds of thousands of tasks, and each event is a row in Prefect's database: at 100,000
partnerships, 3,000 events cost the server about 6 s of CPU); past that it emits
`partnerflow.events.truncated` with what it left out. A portfolio review announces shard by
shard (here, or from each shard's run on a worker), each shard its share of the cap. The web announces evidence it
wrote only when PREFECT_API_URL names a server: otherwise nobody could listen (and the web does not
load Prefect). A bulk import (`partnerflow import`) announces nothing: review after it.
"""

from collections import Counter
from collections.abc import Iterable

from prefect.events import emit_event

MOST_PER_KIND = 1_000


def resource(key: str) -> dict[str, str]:
    return {"prefect.resource.id": f"partnerflow.partnership.{key}", "prefect.resource.name": key,
            "partnerflow.partnership.key": key}


class Announcer:
    """Emits a run's events, at most `most` (MOST_PER_KIND) of each kind; `close` says what was left out.
    A shard of a review announces its share, MOST_PER_KIND / shards, so the review's stays the same."""

    def __init__(self, most: int | None = None) -> None:
        self.most = MOST_PER_KIND if most is None else most
        self.left_out: Counter = Counter()
        self.emitted: Counter = Counter()

    @classmethod
    def for_shard(cls, shards: int) -> "Announcer":
        return cls(max(1, MOST_PER_KIND // max(1, shards)))

    def emit(self, event: str, items: Iterable[tuple[str, dict]]) -> None:
        for key, payload in items:
            if self.emitted[event] >= self.most:
                self.left_out[event] += 1
                continue
            emit_event(event=event, resource=resource(key), payload=payload)
            self.emitted[event] += 1

    def review(self, report) -> None:
        """The events of a review batch's report."""
        self.emit("partnerflow.gate.ready", ((key, {}) for key in report.ready))
        self.emit("partnerflow.partnership.advanced", ((key, {}) for key in report.advanced))
        self.emit("partnerflow.task.opened", ((key, {"task": task, "criterion": criterion})
                                              for key, task, criterion in report.opened))

    def close(self) -> None:
        if self.left_out:
            emit_event(event="partnerflow.events.truncated",
                       resource={"prefect.resource.id": "partnerflow.portfolio"},
                       payload={"left_out": dict(self.left_out), "most_per_kind": self.most})


def announce_overdue(overdue) -> None:
    """`partnerflow.task.overdue` for each task a sweep escalated."""
    announcer = Announcer()
    announcer.emit("partnerflow.task.overdue", ((key, {"task": task, "criterion": criterion, "level": level})
                                                for key, task, criterion, level in overdue))
    announcer.close()


def announce_evidence_changed(keys: Iterable[str]) -> None:
    """`partnerflow.evidence.changed` for each partnership whose evidence was just written (the web
    calls it when PREFECT_API_URL names a server to receive it)."""
    announcer = Announcer()
    announcer.emit("partnerflow.evidence.changed", ((key, {}) for key in sorted(set(keys))))
    announcer.close()
