"""Approval flows: the engine that runs `flows/*.yaml` over records (see docs/flows.md).

`FlowService(records)` is the entry point; its parts: `tables` (requests, tasks, events,
notifications, pinned versions), `engine` (the actions), `reads` (what the UI shows),
`deadlines` (the periodic job; `ticker` runs it on a thread in development), `guard`
(fields locked while pending), `notifications` (in-app messages).
"""
