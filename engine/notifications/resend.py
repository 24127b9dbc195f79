"""A fresh link to a task, asked for from the page a used, expired or changed link opened.

Whoever asks, the link goes to the task's current assignee only, through their own channels:
someone holding an old link can make the rightful owner receive a new one, nothing more. At
most one per task every RESEND_PAUSE, and only while the task is open. The caller answers the
same thing whether or not a link went out, so the page tells a visitor nothing about the task.
"""

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlmodel import Session

from partnerflow.engine import audit
from partnerflow.engine.notifications.links import LIFETIME
from partnerflow.engine.notifications.notices import context_of
from partnerflow.engine.notifications.outbox import Outgoing, enqueue
from partnerflow.models import Notification, Partnership, Person, Task

RESEND_PAUSE = timedelta(minutes=5)  # per task, so the button cannot flood an inbox
EVENT = "task.link"  # not digested: a digest carries no links, and a link is what was asked for
N = Notification.__table__.c


def resend_task_link(session: Session, task_id: int, *, now: datetime) -> bool:
    """Queue a fresh link to task `task_id` for its current assignee. False when nothing was queued:
    no such task, not open, nobody assigned, or a link was queued within RESEND_PAUSE (the caller
    says the same thing either way). Flushes; the caller commits."""
    task = session.get(Task, task_id, with_for_update=True)  # PostgreSQL: one request per task at a time
    if task is None or task.status != "open" or task.assignee_id is None:
        return False
    recent = session.execute(select(N.id).where(N.task_id == task.id, N.event == EVENT,
                                                N.created_at > now - RESEND_PAUSE).limit(1)).first()
    if recent is not None:
        return False
    partnership = session.get(Partnership, task.partnership_id)
    assignee = session.get(Person, task.assignee_id)
    # the pause's window in the cause: two requests racing in one window make one notification
    window = int(now.timestamp() // RESEND_PAUSE.total_seconds())
    context = {**context_of({"key": partnership.key, "name": partnership.name}, task), "days": LIFETIME.days}
    enqueue(session, [Outgoing(EVENT, assignee.id, f"task:{task.id}:link:{window}", context, partnership.id,
                               task.id)], now=now)
    audit.record(session, "task.link_resent", actor="anonymous", at=now,
                 partnership_id=partnership.id, task=task.id, to=assignee.email)
    return True
