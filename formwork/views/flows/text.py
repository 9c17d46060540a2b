"""How the approval pages word things: action buttons, statuses, timeline entries,
notifications and times, in the user's language.

The flow engine hands over codes (`approve`, `pending`, `task`…) and names; every sentence a
person reads is built here, so the pages and their tests share one wording. Templates reach
this module as the global `flow_text`.
"""

from __future__ import annotations

import datetime as dt

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ...flows.notifications import Notification
from ...flows.reads import TimelineEntry
from ..context import runtime, text
from ..display import Display

#: The button of each action.
ACTIONS = {
    "submit": _l("Submit for approval"),
    "approve": _l("Approve"),
    "reject": _l("Reject"),
    "return": _l("Return for changes"),
    "withdraw": _l("Withdraw"),
    "delegate": _l("Delegate"),
    "transfer": _l("Transfer"),
    "add_approver": _l("Add approver"),
}

#: What the user is told once their action went through.
DONE = {
    "submit": _l("Submitted for approval."),
    "approve": _l("Approved."),
    "reject": _l("Rejected."),
    "return": _l("Returned for changes."),
    "withdraw": _l("Request withdrawn."),
    "delegate": _l("Delegated."),
    "transfer": _l("Transferred."),
    "add_approver": _l("Approver added."),
}

#: A request as a whole.
REQUEST_STATUS = {
    "pending": _l("Pending"),
    "approved": _l("Approved"),
    "rejected": _l("Rejected"),
    "returned": _l("Returned for changes"),
    "withdrawn": _l("Withdrawn"),
}

#: A step of a request (see `flows.reads.StepProgress`).
STEP_STATUS = {
    "done": _l("Approved"),
    "skipped": _l("Skipped"),
    "current": _l("Waiting"),
    "upcoming": _l("Upcoming"),
    "rejected": _l("Rejected"),
    "returned": _l("Returned"),
    "withdrawn": _l("Withdrawn"),
    "not_reached": _l("Not reached"),
}

#: How a request ended, inside a sentence ("Request approved").
OUTCOMES = {
    "approved": _l("approved"),
    "rejected": _l("rejected"),
    "returned": _l("returned for changes"),
    "withdrawn": _l("withdrawn"),
}

#: Chip colours (formwork.css) of request and step statuses.
COLORS = {
    "pending": "orange",
    "current": "orange",
    "approved": "green",
    "done": "green",
    "rejected": "red",
    "returned": "yellow",
    "withdrawn": "gray",
}


def action(code: str) -> str:
    return str(ACTIONS.get(code, code))


def done(code: str) -> str:
    return str(DONE.get(code, code))


def request_status(code: str) -> str:
    return str(REQUEST_STATUS.get(code, code))


def step_status(code: str) -> str:
    return str(STEP_STATUS.get(code, code))


def color(code: str) -> str:
    return COLORS.get(code, "gray")


def time(value: dt.datetime | None) -> str:
    """A moment in the configured time zone ("2026-03-02 17:00")."""
    if value is None:
        return ""
    return Display("", runtime().settings.timezone).local_time(value)


def iso(value: dt.datetime | None) -> str:
    """A moment for `<time datetime>`."""
    if value is None:
        return ""
    return (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).isoformat()


def timeline(entry: TimelineEntry) -> str:
    """What happened, with whom: "Wang Fang approved", "Escalated to Li Lei"."""
    user = entry.user_name or _("The system")
    to = ", ".join(entry.to_names)
    said = {
        "submit": lambda: _("%(user)s submitted it for approval", user=user),
        "approve": lambda: _("%(user)s approved", user=user),
        "reject": lambda: _("%(user)s rejected", user=user),
        "return": lambda: _("%(user)s returned it for changes", user=user),
        "withdraw": lambda: _("%(user)s withdrew the request", user=user),
        "delegate": lambda: _("%(user)s delegated it to %(to)s", user=user, to=to),
        "transfer": lambda: _("%(user)s transferred it to %(to)s", user=user, to=to),
        "add_approver": lambda: _("%(user)s added %(to)s as an approver", user=user, to=to),
        "escalate": lambda: _("Overdue: escalated to %(to)s", to=to),
        "skip": lambda: _("Skipped: its condition does not hold for this record"),
        "finish": lambda: _finished(entry),
    }.get(entry.action)
    sentence = said() if said else entry.action
    if entry.on_behalf_of_name:
        sentence += " " + _("(for %(user)s)", user=entry.on_behalf_of_name)
    return sentence


def _finished(entry: TimelineEntry) -> str:
    outcome = str(OUTCOMES.get(entry.outcome or "", entry.outcome or ""))
    if entry.state_label is None:
        return _("Request %(outcome)s", outcome=outcome)
    return _(
        "Request %(outcome)s; the record is now %(state)s",
        outcome=outcome,
        state=text(entry.state_label),
    )


def notification(note: Notification, record: str, user: str | None) -> str:
    """A notification as one sentence about `record` (its entity and title), by `user`."""
    user = user or _("The system")
    said = {
        "task": lambda: _("%(record)s awaits your decision.", record=record),
        "reminder": lambda: _("Reminder: %(record)s still awaits your decision.", record=record),
        "overdue": lambda: _("Overdue: %(record)s is past its deadline.", record=record),
        "escalated": lambda: _(
            "Your overdue task on %(record)s was escalated to someone else.", record=record
        ),
        "approved": lambda: _("Your request for %(record)s was approved.", record=record),
        "rejected": lambda: _(
            "%(user)s rejected your request for %(record)s.", user=user, record=record
        ),
        "returned": lambda: _(
            "%(user)s returned your request for %(record)s for changes.", user=user, record=record
        ),
        "withdrawn": lambda: _(
            "%(user)s withdrew the request for %(record)s.", user=user, record=record
        ),
    }.get(note.kind)
    return said() if said else record
