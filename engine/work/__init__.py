"""The work: owner tasks reconciled with each review, acted on (done, reassigned), members and delegation.

One open task per failing criterion, fired monitor or open condition; response times are
trust evidence. This wing imports the base and the notifications wing (to tell people).
"""

from partnerflow.engine.work.assignments import TaskRefused, complete, complete_by_link, reassign, task_detail, task_listing
from partnerflow.engine.work.conditions import open_condition, open_conditions
from partnerflow.engine.work.members import MemberRefused, Removal, delegate, remove_member
from partnerflow.engine.work.tasks import Opened, Reconciled, Wanted, cancel_for, reconcile, wanted_tasks

__all__ = [
    "MemberRefused", "Opened", "task_listing", "Reconciled", "Removal", "TaskRefused", "Wanted", "cancel_for", "complete",
    "complete_by_link", "delegate", "open_condition", "open_conditions", "reassign", "reconcile", "remove_member",
    "wanted_tasks", "task_detail",
]
