"""Checks and building of approval flows (`flows/*.yaml`).

While building: the entity, its state field, the fields locked and set, the roles and
approver fields named, the states every key refers to, and that every declared state is
reached by some transition. The formulas of flows, and the steps they make unreachable, are
checked once the whole model is built (`flow_formulas`, run by the loader).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .checks import Checks, a
from .flow_model import Approver, Effect, Flow, FlowState, FlowStep, Submit
from .model import USER_ENTITY, Entity, Field, frozen_map
from .source import DocPath, format_path

EFFECT_KEYS = ("on_approve", "on_reject", "on_return", "on_withdraw")
#: Field types an effect's `set` cannot write: their values are files or rows, not formulas.
UNSETTABLE_TYPES = frozenset({"table", "attachment"})


class FlowChecks(Checks):
    def build_flows(self, entities: Mapping[str, Entity]) -> dict[str, Flow]:
        flows: dict[str, Flow] = {}
        for name, doc in sorted((self.doc.get("flows") or {}).items()):
            path: DocPath = ("flows", name)
            if _root_broken(self, path):
                continue
            flow = self._flow_build(name, doc, path, entities)
            if flow is None:
                continue
            other = next((f for f in flows.values() if f.entity == flow.entity), None)
            if other is not None:
                self.problem(
                    "FW807",
                    (*path, "entity"),
                    f"{flow.entity} already has the flow {other.name!r}",
                    "Merge the two flows into one, with a step `when` for each case.",
                )
                continue
            flows[name] = flow
        return flows

    def _flow_build(
        self, name: str, doc: Mapping[str, Any], path: DocPath, entities: Mapping[str, Entity]
    ) -> Flow | None:
        self.check_name(name, (*path, "flow"), "flow")
        entity = self.entity_of(doc, path, entities)
        if entity is None:
            return None
        label = self.label(doc["label"], (*path, "label"))
        description = self.optional_label(doc, "description", path)
        states = self._flow_states(doc, path)
        if states is None:
            return None
        check_state = _StateRefs(self, states)
        initial = doc.get("initial", next(iter(states)))
        check_state(initial, (*path, "initial"))
        self._flow_check_state_field(entity, doc, states, path)
        submit = self._flow_submit(doc, path, initial, check_state)
        locked = tuple(doc.get("locked") or ())
        for index, field_name in enumerate(locked):
            self._flow_check_locked(
                entity, field_name, doc["state_field"], (*path, "locked", index)
            )
        steps = self._flow_steps(entity, doc, path, entities)
        effects = {
            key: self._flow_effect(entity, doc, key, path, initial, check_state)
            for key in EFFECT_KEYS
        }
        reached = {initial, submit.state} | {e.state for e in effects.values() if e.state}
        for state in states:
            if state not in reached:
                self.problem(
                    "FW802",
                    (*path, "states", state),
                    f"no transition leads to state {state!r}",
                    "Name it in an effect (on_approve, on_reject, …), or remove it.",
                )
        if steps is None or not check_state.ok:
            return None
        return Flow(
            name=name,
            entity=entity.name,
            label=label,
            description=description,
            state_field=doc["state_field"],
            states=frozen_map(states),
            initial=initial,
            submit=submit,
            locked=locked,
            self_approval=bool(doc.get("self_approval", False)),
            steps=steps,
            on_approve=effects["on_approve"],
            on_reject=effects["on_reject"],
            on_return=effects["on_return"],
            on_withdraw=effects["on_withdraw"],
            location=self.location(path),
        )

    # -- states ----------------------------------------------------------------------------
    def _flow_states(self, doc: Mapping[str, Any], path: DocPath) -> dict[str, FlowState] | None:
        if self.is_broken((*path, "states")):
            return None
        states = {}
        for state, spec in doc["states"].items():
            item: DocPath = (*path, "states", state)
            self.check_name(state, item, "state")
            states[state] = FlowState(state, self.label(spec["label"], (*item, "label")))
        return states

    def _flow_check_state_field(
        self,
        entity: Entity,
        doc: Mapping[str, Any],
        states: Mapping[str, FlowState],
        path: DocPath,
    ) -> None:
        where: DocPath = (*path, "state_field")
        field = self._flow_field(entity, doc["state_field"], where)
        if field is None:
            return
        if field.type not in ("select", "text") or not field.stored or field.computed:
            self.problem(
                "FW805",
                where,
                f"{entity.name}.{field.name} is {a(field.type)} field"
                f"{' with a formula' if field.computed else ''}, not a stored select or text field",
                f"Add `{field.name}: {{type: select, options: […]}}` with an option per state.",
            )
            return
        missing = [s for s in states if field.type == "select" and s not in field.option_values()]
        if missing:
            self.problem(
                "FW805",
                where,
                f"{entity.name}.{field.name} has no option for state(s) {', '.join(missing)}",
                "Every state must be one of the state field's options.",
            )

    def _flow_submit(
        self, doc: Mapping[str, Any], path: DocPath, initial: str, check_state: _StateRefs
    ) -> Submit:
        spec = doc["submit"]
        where: DocPath = (*path, "submit")
        check_state(spec["state"], (*where, "state"))
        sources = tuple(spec.get("from") or (initial,))
        for index, state in enumerate(spec.get("from") or ()):
            check_state(state, (*where, "from", index))
        roles = tuple(spec.get("roles") or ())
        for index, role in enumerate(roles):
            self._flow_check_role(role, (*where, "roles", index))
        return Submit(spec["state"], sources, roles, spec.get("when"))

    # -- fields ----------------------------------------------------------------------------
    def _flow_field(self, entity: Entity, name: str, path: DocPath) -> Field | None:
        declared = self.doc["entities"][entity.name]["fields"]
        if name not in declared:
            self.problem("FW305", path, f"no field named {name!r}", self.suggest(name, declared))
            return None
        return entity.fields.get(name)  # None when the field itself is broken: reported

    def _flow_check_locked(
        self, entity: Entity, name: str, state_field: str, path: DocPath
    ) -> None:
        field = self._flow_field(entity, name, path)
        if field is None:
            return
        if name == state_field or not (field.writable or field.type == "table"):
            self.problem(
                "FW806",
                path,
                f"people never write {entity.name}.{name}, so locking it does nothing",
                "Lock fields people edit; the state and computed fields are never theirs.",
            )

    def _flow_effect(
        self,
        entity: Entity,
        doc: Mapping[str, Any],
        key: str,
        path: DocPath,
        initial: str,
        check_state: _StateRefs,
    ) -> Effect:
        spec = doc.get(key) or {}
        where: DocPath = (*path, key)
        if self.is_broken(where):
            return Effect(initial)
        state = spec.get("state", initial)
        if "state" in spec:
            check_state(state, (*where, "state"))
        for name in spec.get("set") or {}:
            item: DocPath = (*where, "set", name)
            field = self._flow_field(entity, name, item)
            if field is None:
                continue
            if name == doc["state_field"]:
                self.problem(
                    "FW806",
                    item,
                    f"{entity.name}.{name} keeps the flow's state",
                    "Move the state with `state:` instead of setting the field.",
                )
            elif (
                not field.stored
                or field.computed
                or not field.kind.writable
                or field.type in UNSETTABLE_TYPES
            ):
                self.problem(
                    "FW806",
                    item,
                    f"the flow cannot set {entity.name}.{name} ({a(field.type)} field"
                    f"{', computed' if field.computed else ''})",
                    "Set stored fields that hold values; move the state with `state:`.",
                )
        return Effect(state, frozen_map(spec.get("set") or {}))

    # -- steps and approvers ---------------------------------------------------------------
    def _flow_steps(
        self,
        entity: Entity,
        doc: Mapping[str, Any],
        path: DocPath,
        entities: Mapping[str, Entity],
    ) -> tuple[FlowStep, ...] | None:
        if self.is_broken((*path, "steps")):
            return None
        built, seen = [], set()
        for index, spec in enumerate(doc["steps"]):
            item: DocPath = (*path, "steps", index)
            name = spec["name"]
            if name in seen:
                self.problem("FW303", (*item, "name"), f"step {name!r} is listed twice")
            seen.add(name)
            self.check_name(name, (*item, "name"), "step")
            approvers = self._flow_approvers(
                entity, spec["approvers"], (*item, "approvers"), entities
            )
            escalate = self._flow_approvers(
                entity, spec.get("escalate_to") or (), (*item, "escalate_to"), entities
            )
            if "due_hours" not in spec:
                for key in ("remind_every_hours", "escalate_to"):
                    if key in spec:
                        self.problem(
                            "FW808",
                            (*item, key),
                            f"step {name!r} has {key} but no due_hours",
                            "Add `due_hours: 48` (or how long approvers have).",
                        )
            mode = spec.get("mode", "any")
            built.append(
                FlowStep(
                    name=name,
                    label=self.label(spec.get("label", name), (*item, "label")),
                    approvers=approvers,
                    mode="count" if isinstance(mode, int) else mode,
                    count=mode if isinstance(mode, int) else None,
                    when=spec.get("when"),
                    due_hours=spec.get("due_hours"),
                    remind_every_hours=spec.get("remind_every_hours"),
                    escalate_to=escalate,
                )
            )
        return tuple(built)

    def _flow_approvers(
        self, entity: Entity, specs: Any, path: DocPath, entities: Mapping[str, Entity]
    ) -> tuple[Approver, ...]:
        approvers = []
        for index, spec in enumerate(specs):
            kind, value = next(iter(spec.items()))
            where: DocPath = (*path, index, kind)
            if kind == "role":
                self._flow_check_role(value, where)
            elif kind == "field":
                self._flow_check_user_path(entity, value, where, entities)
            approvers.append(Approver(kind, value))
        return tuple(approvers)

    def _flow_check_role(self, role: str, path: DocPath) -> None:
        if self.is_broken(("app", "roles")):
            return
        roles = set((self.doc.get("app") or {}).get("roles") or {})
        if role not in roles:
            self.problem("FW306", path, f"no role named {role!r}", self.suggest(role, roles))

    def _flow_check_user_path(
        self, entity: Entity, path_text: str, where: DocPath, entities: Mapping[str, Entity]
    ) -> None:
        """`manager` or `account.manager`: links, the last one to user."""
        owner: Entity | None = entity
        names = path_text.split(".")
        for index, name in enumerate(names):
            if owner is None:
                self.problem(
                    "FW804",
                    where,
                    f"{'.'.join(names[:index])} is a user, whose fields are not links",
                    "End the path at the link to the user.",
                )
                return
            field = (
                self._flow_field(owner, name, where) if owner is entity else owner.fields.get(name)
            )
            if field is None:
                if owner is not entity:
                    self.problem(
                        "FW305",
                        where,
                        f"{owner.name} has no field {name!r}",
                        self.suggest(name, owner.fields),
                    )
                return
            target = field.setting("to") if field.type == "link" else None
            last = index == len(names) - 1
            if target is None or (last and target != USER_ENTITY):
                self.problem(
                    "FW804",
                    where,
                    f"{owner.name}.{name} is {a(field.type)} field"
                    + (f" to {target}" if target else "")
                    + ", not a link to a user",
                    "Name a `type: link, to: user` field, or a path of links ending in one.",
                )
                return
            if not last:
                owner = None if target == USER_ENTITY else entities.get(target)
                if owner is None and target != USER_ENTITY:
                    return  # the target entity is broken: reported already


class _StateRefs:
    """Reports references to undeclared states; `ok` tells whether all were declared."""

    def __init__(self, checks: Checks, states: Mapping[str, FlowState]) -> None:
        self.checks = checks
        self.states = states
        self.ok = True

    def __call__(self, state: str, path: DocPath) -> None:
        if state not in self.states:
            self.ok = False
            self.checks.problem(
                "FW801", path, f"no state named {state!r}", self.checks.suggest(state, self.states)
            )


def _root_broken(checks: Checks, path: DocPath) -> bool:
    """A flow whose name, entity, state field, submit or top node is wrong cannot be built."""
    keys = ("flow", "entity", "state_field", "submit", "states")
    exact = {format_path(path), *(format_path((*path, key)) for key in keys)}
    return any(b in exact for b in checks.broken)
