"""Approval inside a flow: a run that needs a second person's approval pauses in Prefect until
that person answers.

The publish flow (without a grant) and the weekly loop note in the store that their run waits
(:func:`flows.steps.approval.record_waiting`: an audit event with the flow run's id) and pause
with Prefect's ``pause_flow_run(wait_for_input=ApprovalInput)``, so the run shows as *Paused* in
the Prefect UI. The approver answers with ``counterflow approve CAMPAIGN_ID --as NAME`` (or
``--refuse --reason TEXT``): the command checks who they are (password or token), records a
one-use grant and resumes the run with :class:`ApprovalInput` (the grant's id, the decision, a
reason). The run spends the grant itself under today's rules (a user other than the author, with
an approving role) and goes on to schedule and publish, or ends on a refusal. No password or
token is ever in the input: Prefect stores and shows it.

Importing this module imports Prefect: call :func:`flows.prefect_env.prepare_prefect` first.
"""

from __future__ import annotations

import time
from typing import Literal
from uuid import UUID

from prefect.input import RunInput
from sqlmodel import Session

from flows.steps.approval import HANDED_OVER, check_may_decide, waiting_run
from intel.errors import CounterflowError
from intel.models import AuditEvent, User

PAUSE_GRACE_SECONDS = 30.0
"""How long an answer waits for a run that noted it waits but has not paused yet."""


class ApprovalInput(RunInput):
    """An approver's answer to a paused run: the id of the one-use grant they made by proving who
    they are, approve or refuse, and why. A grant id is not a secret (it is spent once, as that
    person only, within a day); a password or a token never goes here."""

    grant: int
    decision: Literal["approve", "refuse"]
    reason: str = ""


def run_state(flow_run_id: str) -> str | None:
    """The Prefect state name of a flow run (``Paused`` while it waits), or None if the Prefect
    server does not know it."""
    from prefect import get_client
    from prefect.exceptions import ObjectNotFound

    with get_client(sync_client=True) as client:
        try:
            run = client.read_flow_run(UUID(flow_run_id))
        except (ObjectNotFound, ValueError):
            return None
    return run.state.name if run.state else None


def hand_over(
    session: Session, *, campaign_id: int, user: User, decision: str, reason: str = ""
) -> str | None:
    """Resume the run that waits for this campaign's approval with ``user``'s decision.

    Returns the flow run's id, or None when no run waits (none noted in the store, or Prefect no
    longer has it paused). ``user`` proved who they are already; the rules are checked before the
    grant is made, and again by the run when it spends it.
    """
    from prefect.flow_runs import resume_flow_run

    from intel.accounts import issue_grant

    run_id = waiting_run(session, campaign_id=campaign_id)
    if run_id is None:
        return None
    state = run_state(run_id)
    deadline = time.monotonic() + PAUSE_GRACE_SECONDS
    while state in ("Running", "Pending") and time.monotonic() < deadline:
        time.sleep(0.5)  # the run noted that it waits and is about to pause
        state = run_state(run_id)
    if state != "Paused":
        return None
    check_may_decide(session, campaign_id=campaign_id, user=user)
    grant = issue_grant(session, user=user, purpose="approve")
    session.add(
        AuditEvent(
            actor=user.name,
            action=HANDED_OVER,
            object_type="campaign",
            object_id=campaign_id,
            detail={"flow_run_id": run_id, "decision": decision, "grant": grant},
        )
    )
    session.commit()  # the run reads the grant from the store when it resumes
    answer = ApprovalInput(grant=grant, decision=decision, reason=reason)  # type: ignore[arg-type]
    try:
        resume_flow_run(UUID(run_id), run_input=answer.model_dump())
    except Exception as exc:  # it timed out or was cancelled between the check and now
        raise CounterflowError(
            f"flow run {run_id} could not be resumed ({exc})",
            "start a new publish run for the campaign; it pauses for approval again",
        ) from None
    return run_id
