"""In-memory snapshots for the pure gate tests: passing ones, and `replace` to break them."""

from dataclasses import replace
from datetime import date, timedelta

from partnerflow.gates.snapshot import (
    Agreement,
    BusinessCase,
    Commitment,
    CommunicationPlan,
    KnowledgeSession,
    Measurement,
    Meeting,
    Member,
    Metric,
    PartnershipSnapshot,
    Party,
    Problem,
    ProcessOwner,
    Risk,
    Signature,
    Stakeholder,
    Win,
)

AS_OF = date(2026, 11, 27)
US, THEM = Party(1, "northwind", "Northwind", True), Party(2, "acme", "Acme", False)
MONTH_ENDS = (date(2026, 8, 31), date(2026, 9, 30), date(2026, 10, 31))


def metric(id_, key, kind, target, value, direction="higher", shared=False, periods=MONTH_ENDS) -> Metric:
    return Metric(id_, key, key.upper(), kind, target, direction, "", None, shared,
                  tuple(Measurement(id_, end, value) for end in periods))


def passing_alignment() -> PartnershipSnapshot:
    signatures = (Signature(1, 1, 10, date(2026, 1, 1)), Signature(1, 2, 20, date(2026, 1, 2)))
    return PartnershipSnapshot(
        id=1, key="acme-supply", name="Acme supply", phase="alignment", state="active", version=1,
        parties=(US, THEM),
        members=(Member(10, 1, "owner", "runs it"), Member(20, 2, "account_manager", "their side")),
        business_case=BusinessCase("Cut lead time", "Order to delivery", "OTD", 11, date(2026, 1, 10)),
        wins=(Win(1, "Shorter lead times"), Win(2, "Predictable volume")),
        agreements=(Agreement(1, "contract", "MSA-1", date(2026, 1, 1), date(2027, 12, 31), signatures),),
        process_owners=(ProcessOwner("Order to delivery", 10, 1), ProcessOwner("Order to delivery", 20, 2)),
        risks=(Risk("Single plant", "medium", "high", "Second source", 10),),
        stakeholders=(Stakeholder(11, 1, "decision_maker", None, 30, AS_OF - timedelta(days=10)),
                      Stakeholder(21, 2, "decision_maker", 10, 30, AS_OF - timedelta(days=10))),
        metrics=(metric(1, "otd", "performance", 95, 97, shared=True),
                 metric(2, "csat", "customer_satisfaction", 4, 4.5),
                 metric(3, "response", "relationship", 3, 2, direction="lower")),
        communication=CommunicationPlan(30, 7, "Steering committee", "Owner, then sponsors", 5, "", ""),
    )


def passing_execution() -> PartnershipSnapshot:
    return replace(
        passing_alignment(), phase="execution",
        commitments=tuple(Commitment(2, f"C{i}", date(2026, 6, i + 1), "honored", date(2026, 6, i + 1))
                          for i in range(10)),
        meetings=tuple(Meeting(AS_OF - timedelta(days=d), "formal", "Monthly review") for d in (5, 35, 65)),
        problems=(Problem("problem", "Late truck", date(2026, 10, 1), date(2026, 10, 3)),),
        knowledge_sessions=(KnowledgeSession(date(2026, 10, 15), "Outlook"),),
    )
