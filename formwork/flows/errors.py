"""What the flow engine refuses, and the texts of its messages.

Every refusal is one of the record service's errors, so callers that already handle those
need nothing new: `ActionRefused` (a `ValidationFailed`: bad input, or not possible in the
record's state; keyed by `comment`, `to` or `_record`), `NotAllowed` (a `Forbidden`: the user
may not take this action), and `FlowConflict` — someone acted first (the other approver of a
task, or the same person clicking twice): nothing was written, and the message says what
happened instead. Messages are English templates, all in `MESSAGES`, so the UI can translate
them in one place.
"""

from __future__ import annotations

from typing import Any

from ..store.errors import RECORD_KEY, Forbidden, RecordError, ValidationFailed

MESSAGES = {
    "no_flow": "{entity} records have no approval flow.",
    "comment_required": "Say why in a comment.",
    "comment_too_long": "At most {max} characters.",
    "not_from_state": "A record in state {state} cannot be submitted.",
    "submit_condition": "This record does not meet the condition for submitting it.",
    "not_your_role": "Your role may not submit these records.",
    "not_your_task": "This task is not yours.",
    "not_your_request": "Only the person who submitted it may withdraw this request.",
    "no_self_approval": "You may not approve your own request.",
    "pending_already": "This record is already awaiting approval.",
    "task_decided": "This task was already {status} by {user}.",
    "task_moved": "This task has been {status}; it is no longer yours to decide.",
    "request_closed": "This request is no longer pending: it was {status}.",
    "not_pending": "This record is not awaiting approval.",
    "no_approver": "No one can approve the step {step}: check its approvers.",
    "too_few_approvers": "The step {step} needs {needed} approvals but only {count} "
    "people can approve it.",
    "no_such_user": "No such active user.",
    "same_user": "Choose someone else.",
    "has_task_already": "{user} already has a task in this step.",
    "submitter_cannot_approve": "The submitter may not approve this request.",
    "locked": "Locked while the record awaits approval.",
    "pending_delete": "A record awaiting approval cannot be deleted; withdraw the request first.",
    "unknown_action": "Unknown action {action!r}.",
    "version_broken": "The flow version this request started on no longer fits the "
    "config ({detail}); ask an administrator.",
}


def message(key: str, **params: Any) -> str:
    return MESSAGES[key].format(**params)


class ActionRefused(ValidationFailed):
    """The action cannot be taken as asked: errors by key (`comment`, `to`, `_record`)."""

    @classmethod
    def about(cls, key: str, text_key: str, **params: Any) -> ActionRefused:
        return cls({key: [message(text_key, **params)]})

    @classmethod
    def record(cls, text_key: str, **params: Any) -> ActionRefused:
        return cls.about(RECORD_KEY, text_key, **params)


class NotAllowed(Forbidden):
    """The user may not take this action (HTTP 403)."""

    def __init__(self, text_key: str, **params: Any) -> None:
        RecordError.__init__(self, message(text_key, **params))
        self.action = text_key
        self.entity = ""


class FlowConflict(RecordError):
    """Someone acted first, or the request moved on: nothing was written (HTTP 409).

    `str(error)` tells the user what happened instead."""

    def __init__(self, text_key: str, **params: Any) -> None:
        super().__init__(message(text_key, **params))
        self.key = text_key
        self.params = params


class FlowBroken(RecordError):
    """A request's pinned flow version cannot run against today's config (its formulas name
    fields that are gone); nothing was written, and administrators see it in `formwork tick`."""

    def __init__(self, detail: str) -> None:
        super().__init__(message("version_broken", detail=detail))
        self.detail = detail
