"""Checks of the alignment phase: the What, the How, the Who."""

from datetime import date, timedelta

from partnerflow.gates.registry import Outcome, check, failed, passed
from partnerflow.gates.snapshot import Agreement, PartnershipSnapshot

ONE_DAY = timedelta(days=1)


def _names(snapshot: PartnershipSnapshot, party_ids) -> str:
    return ", ".join(sorted(snapshot.party_name(party_id) for party_id in party_ids))


def _missing_parties(snapshot: PartnershipSnapshot, covered: set[int]) -> list[int]:
    return [party.id for party in snapshot.parties if party.id not in covered]


@check
def business_case_approved(snapshot: PartnershipSnapshot, as_of: date) -> Outcome:
    case = snapshot.business_case
    if case is None:
        return failed("no business case recorded", watch=())
    blank = [name for name in ("outcomes", "processes", "measures") if not getattr(case, name).strip()]
    if blank:
        return failed(f"the business case does not state its {', '.join(blank)}", watch=())
    if case.approved_on is None or case.approved_by_id is None:
        return failed("the business case is not approved", watch=())
    if case.approved_on > as_of:
        return failed(f"the business case is approved only from {case.approved_on}", watch=[case.approved_on])
    return passed(f"business case approved on {case.approved_on}", watch=())


@check
def every_party_stated_win(snapshot: PartnershipSnapshot, as_of: date) -> Outcome:
    stated = {win.party_id for win in snapshot.wins if win.statement.strip()}
    missing = _missing_parties(snapshot, stated)
    if missing:
        if len(missing) == 1:
            return failed(f"party {_names(snapshot, missing)} has not stated its win")
        return failed(f"parties {_names(snapshot, missing)} have not stated their wins")
    return passed("every party stated what it must win")


def _in_force(agreement: Agreement, as_of: date) -> bool:
    return agreement.effective_on <= as_of and (agreement.expires_on is None or as_of <= agreement.expires_on)


def in_force_changes(agreements) -> list[date]:
    """The days on which an agreement comes into force or lapses."""
    return [a.effective_on for a in agreements] + [a.expires_on + ONE_DAY for a in agreements if a.expires_on]


def _signed_by_all(snapshot: PartnershipSnapshot, agreement: Agreement) -> list[int]:
    """The parties that have not signed `agreement`."""
    return _missing_parties(snapshot, {s.party_id for s in agreement.signatures})


@check
def agreement_signed_and_in_force(snapshot: PartnershipSnapshot, as_of: date) -> Outcome:
    if not snapshot.agreements:
        internal = all(party.internal for party in snapshot.parties)
        return failed("no charter recorded" if internal else "no agreement recorded", watch=())
    watch = in_force_changes(snapshot.agreements)
    for agreement in snapshot.agreements:
        if _in_force(agreement, as_of) and not _signed_by_all(snapshot, agreement):
            until = f"until {agreement.expires_on}" if agreement.expires_on else "with no expiry"
            return passed(f"{agreement.kind} {agreement.reference} signed by every party, in force {until}", watch=watch)
    latest = max(snapshot.agreements, key=lambda a: (a.effective_on, a.id))
    unsigned = _signed_by_all(snapshot, latest)
    if latest.expires_on is not None and latest.expires_on < as_of:
        return failed(f"{latest.kind} {latest.reference} expired on {latest.expires_on}", watch=watch)
    if latest.effective_on > as_of:
        return failed(f"{latest.kind} {latest.reference} takes effect only on {latest.effective_on}", watch=watch)
    return failed(f"{latest.kind} {latest.reference} is not signed by {_names(snapshot, unsigned)}", watch=watch)


def _on_every_side(snapshot: PartnershipSnapshot, covered: set[int], *, lacking: str, done: str) -> Outcome:
    """Passes when every party is covered; `lacking` names the parties that are not."""
    missing = _missing_parties(snapshot, covered)
    return failed(lacking.format(parties=_names(snapshot, missing))) if missing else passed(done)


@check
def roles_assigned(snapshot: PartnershipSnapshot, as_of: date) -> Outcome:
    assigned = {m.party_id for m in snapshot.members if m.role.strip() and m.responsibilities.strip()}
    return _on_every_side(snapshot, assigned, lacking="no role with responsibilities assigned for {parties}",
                          done="roles and responsibilities assigned on every side")


@check
def critical_processes_aligned(snapshot: PartnershipSnapshot, as_of: date, *, minimum: int = 1) -> Outcome:
    sides: dict[str, set[int]] = {}
    for owner in snapshot.process_owners:
        sides.setdefault(owner.process, set()).add(owner.party_id)
    if len(sides) < minimum:
        return failed(f"{len(sides)} critical process(es) recorded, at least {minimum} needed")
    for process, covered in sorted(sides.items()):
        missing = _missing_parties(snapshot, covered)
        if missing:
            return failed(f"process {process!r} has no owner at {_names(snapshot, missing)}")
    return passed(f"{len(sides)} critical process(es) with an owner on every side")


@check
def risks_mitigated(snapshot: PartnershipSnapshot, as_of: date, *, minimum: int = 1) -> Outcome:
    if len(snapshot.risks) < minimum:
        return failed(f"{len(snapshot.risks)} risk(s) assessed, at least {minimum} needed")
    for risk in snapshot.risks:
        if not risk.mitigation.strip():
            return failed(f"risk {risk.description!r} has no mitigation")
        if risk.owner_id is None:
            return failed(f"risk {risk.description!r} has no owner")
    return passed(f"{len(snapshot.risks)} risk(s) assessed, each mitigated and owned")


@check
def decision_maker_on_every_side(snapshot: PartnershipSnapshot, as_of: date) -> Outcome:
    covered = {s.party_id for s in snapshot.stakeholders if s.influence == "decision_maker"}
    return _on_every_side(snapshot, covered, lacking="no decision maker identified at {parties}",
                          done="a decision maker is identified on every side")


@check
def metrics_with_target(snapshot: PartnershipSnapshot, as_of: date, *, minimum: int = 1) -> Outcome:
    targeted = [m for m in snapshot.metrics if m.target is not None]
    if len(targeted) < minimum:
        return failed(f"{len(targeted)} metric(s) with a target, at least {minimum} needed")
    return passed(f"{len(targeted)} metric(s) with a target")


@check
def metrics_shared(snapshot: PartnershipSnapshot, as_of: date, *, minimum: int = 1) -> Outcome:
    shared = [m for m in snapshot.metrics if m.shared]
    if len(shared) < minimum:
        return failed(f"{len(shared)} metric(s) shared by all parties, at least {minimum} wanted")
    return passed(f"{len(shared)} metric(s) shared by all parties")


@check
def metric_of_kind(snapshot: PartnershipSnapshot, as_of: date, *, kind: str) -> Outcome:
    label = kind.replace("_", " ")
    if any(m.kind == kind and m.target is not None for m in snapshot.metrics):
        return passed(f"a {label} metric with a target is defined")
    return failed(f"no {label} metric with a target")


@check
def communication_structure_defined(snapshot: PartnershipSnapshot, as_of: date) -> Outcome:
    plan = snapshot.communication
    if plan is None:
        return failed("no communication structure recorded")
    missing = []
    if not plan.formal_cadence_days:
        missing.append("a meeting cadence")
    if not plan.decision_process.strip():
        missing.append("a decision-making process")
    if not plan.escalation_path.strip():
        missing.append("an escalation path")
    if missing:
        return failed(f"the communication structure lacks {', '.join(missing)}")
    return passed(f"meetings every {plan.formal_cadence_days} days, decision process and escalation path set")
