"""The typed model of an approval flow (`flows/*.yaml`), and its stored form.

A `Flow` is immutable like the rest of the model. It also round-trips through plain JSON
(`to_document` / `from_document`): the flow engine stores each version of a flow that a
request started on under the hash of that document (`version_key`), so a request in flight
finishes on the version it started on whatever the config says by then.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .model import Label, frozen_map
from .problems import Location

#: Where a flow rebuilt from its stored document "comes from".
STORED = Location("<stored flow version>")

APPROVER_KINDS = ("role", "field", "formula")
MODES = ("any", "all", "count")


@dataclass(frozen=True, slots=True)
class Approver:
    """One way of finding approvers: `kind` role, field (a path) or formula, and its value."""

    kind: str
    value: str


@dataclass(frozen=True, slots=True)
class FlowState:
    name: str
    label: Label


@dataclass(frozen=True, slots=True)
class Effect:
    """What an outcome does to the record: move it to `state`, set fields (formulas, or plain
    numbers, booleans or None)."""

    state: str | None = None
    set: Mapping[str, Any] = field(default_factory=frozen_map)


@dataclass(frozen=True, slots=True)
class FlowStep:
    """One approval step: who decides, how many of them must approve, when it runs."""

    name: str
    label: Label
    approvers: tuple[Approver, ...]
    #: any, all, or count (then `count` approvals are needed).
    mode: str = "any"
    count: int | None = None
    when: str | None = None
    due_hours: float | None = None
    remind_every_hours: float | None = None
    escalate_to: tuple[Approver, ...] = ()

    def needed(self, slots: int) -> int:
        """Approvals the step needs when `slots` people (or groups) decide it."""
        if self.mode == "any":
            return 1
        if self.mode == "all":
            return slots
        assert self.count is not None
        return self.count


@dataclass(frozen=True, slots=True)
class Submit:
    """Who may submit (`roles`; empty: anyone who sees the record), from which states, and
    the state a record is in while its request is pending."""

    state: str
    sources: tuple[str, ...]
    roles: tuple[str, ...] = ()
    when: str | None = None


@dataclass(frozen=True, slots=True, repr=False)
class Flow:
    """An approval flow over the records of `entity`, whose state lives in `state_field`."""

    name: str
    entity: str
    label: Label
    state_field: str
    states: Mapping[str, FlowState]
    initial: str
    submit: Submit
    steps: tuple[FlowStep, ...]
    on_approve: Effect
    on_reject: Effect
    on_return: Effect
    on_withdraw: Effect
    location: Location
    locked: tuple[str, ...] = ()
    self_approval: bool = False
    description: Label | None = None

    def __repr__(self) -> str:
        return f"<Flow {self.name} on {self.entity}: {len(self.steps)} steps>"

    def step(self, name: str) -> FlowStep:
        return next(s for s in self.steps if s.name == name)

    def effects(self) -> dict[str, Effect]:
        """The effects by the key they are written under (on_approve, on_reject, …)."""
        return {
            "on_approve": self.on_approve,
            "on_reject": self.on_reject,
            "on_return": self.on_return,
            "on_withdraw": self.on_withdraw,
        }

    def state_label(self, state: str | None) -> Label | None:
        found = self.states.get(state or self.initial)
        return found.label if found else None

    # -- the stored form -------------------------------------------------------------------
    def to_document(self) -> dict[str, Any]:
        """The flow as plain JSON data (without its location)."""
        return {
            "name": self.name,
            "entity": self.entity,
            "label": dict(self.label.texts),
            "description": dict(self.description.texts) if self.description else None,
            "state_field": self.state_field,
            "states": {s.name: dict(s.label.texts) for s in self.states.values()},
            "initial": self.initial,
            "submit": {
                "state": self.submit.state,
                "from": list(self.submit.sources),
                "roles": list(self.submit.roles),
                "when": self.submit.when,
            },
            "locked": list(self.locked),
            "self_approval": self.self_approval,
            "steps": [_step_document(s) for s in self.steps],
            "effects": {
                name: {"state": e.state, "set": dict(e.set)}
                for name, e in (
                    ("approve", self.on_approve),
                    ("reject", self.on_reject),
                    ("return", self.on_return),
                    ("withdraw", self.on_withdraw),
                )
            },
        }

    @classmethod
    def from_document(cls, doc: Mapping[str, Any], location: Location = STORED) -> Flow:
        """The flow a `to_document` result describes."""
        submit = doc["submit"]
        effects = {
            name: Effect(e["state"], frozen_map(e["set"])) for name, e in doc["effects"].items()
        }
        return cls(
            name=doc["name"],
            entity=doc["entity"],
            label=_label(doc["label"]),
            description=_label(doc["description"]) if doc.get("description") else None,
            state_field=doc["state_field"],
            states=frozen_map(
                {name: FlowState(name, _label(texts)) for name, texts in doc["states"].items()}
            ),
            initial=doc["initial"],
            submit=Submit(
                submit["state"], tuple(submit["from"]), tuple(submit["roles"]), submit["when"]
            ),
            locked=tuple(doc["locked"]),
            self_approval=bool(doc["self_approval"]),
            steps=tuple(_step_from(s) for s in doc["steps"]),
            on_approve=effects["approve"],
            on_reject=effects["reject"],
            on_return=effects["return"],
            on_withdraw=effects["withdraw"],
            location=location,
        )

    def version_key(self) -> str:
        """A short hash of the stored form: equal for equal flows, whatever the file says."""
        canonical = json.dumps(self.to_document(), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:32]


def _label(texts: Mapping[str, str]) -> Label:
    return Label(frozen_map(texts))


def _approvers_document(approvers: tuple[Approver, ...]) -> list[dict[str, str]]:
    return [{a.kind: a.value} for a in approvers]


def _approvers_from(items: list[Mapping[str, str]]) -> tuple[Approver, ...]:
    return tuple(Approver(*next(iter(item.items()))) for item in items)


def _step_document(step: FlowStep) -> dict[str, Any]:
    return {
        "name": step.name,
        "label": dict(step.label.texts),
        "approvers": _approvers_document(step.approvers),
        "mode": step.mode,
        "count": step.count,
        "when": step.when,
        "due_hours": step.due_hours,
        "remind_every_hours": step.remind_every_hours,
        "escalate_to": _approvers_document(step.escalate_to),
    }


def _step_from(doc: Mapping[str, Any]) -> FlowStep:
    return FlowStep(
        name=doc["name"],
        label=_label(doc["label"]),
        approvers=_approvers_from(doc["approvers"]),
        mode=doc["mode"],
        count=doc["count"],
        when=doc["when"],
        due_hours=doc["due_hours"],
        remind_every_hours=doc["remind_every_hours"],
        escalate_to=_approvers_from(doc["escalate_to"]),
    )
