"""The sample portfolio in examples/ hits exactly the outcomes it was written for, on 2026-11-27."""

import re
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from partnerflow import gates
from partnerflow.engine.intake import ImportSummary, import_documents, import_files
from partnerflow.engine.settings import DEFAULT_POLICY
from partnerflow.models import IdRange, Party, Person, load_snapshots, session_scope
from tests.engine.harness import table_counts

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
FILES = [EXAMPLES / "portfolio.yaml", EXAMPLES / "partnerships.csv"]
DEMO_DATE = date(2026, 11, 27)

NOTHING_RECORDED = {
    "business-case-approved", "every-party-wins", "agreement-in-force", "roles-assigned", "processes-aligned",
    "risks-mitigated", "decision-makers-known", "metric-with-target", "communication-structure",
}

# partnership -> (phase, the must criteria of its gate that fail; None in the final phase)
EXPECTED = {
    "acme-castings": ("alignment", set()),
    "boltline-fasteners": ("alignment", {"every-party-wins"}),
    "cobalt-logistics": ("alignment", {"agreement-in-force"}),
    "deltapack-packaging": ("alignment", {"agreement-in-force"}),
    "fjord-robotics": ("alignment", {"decision-makers-known"}),
    "granite-distribution": ("alignment", {"risks-mitigated"}),
    "it-plant-systems": ("alignment", {"communication-structure"}),
    "helix-maintenance": ("execution", set()),
    "ionic-coatings": ("execution", {"repeated-successes"}),
    "keystone-freight": ("execution", {"commitments-honored"}),
    "juniper-analytics": ("execution", {"meetings-at-cadence"}),
    "finance-plant-costing": ("execution", {"problems-within-target"}),
    "lumen-sensors": ("shared_vision", None),
    "mariner-channel": ("shared_vision", None),
    "acme-machining": ("alignment", NOTHING_RECORDED),
    "boltline-vmi": ("alignment", NOTHING_RECORDED),
    "it-finance-reporting": ("alignment", NOTHING_RECORDED),
}


def import_examples(engine) -> ImportSummary:
    with session_scope(engine) as session:
        return import_files(session, FILES)


@pytest.fixture
def policy() -> gates.Policy:
    return gates.parse_policy(str(DEFAULT_POLICY), DEFAULT_POLICY.read_text())


def test_each_example_partnership_fails_exactly_the_intended_criteria(engine, policy):
    import_examples(engine)
    with engine.connect() as connection:
        snapshots = load_snapshots(connection, IdRange(1, 10_000))
    outcomes = {}
    for snapshot in snapshots:
        evaluation = gates.evaluate(policy, snapshot, as_of=DEMO_DATE)
        failing = None if evaluation is None else {r.id for r in evaluation.blockers}
        outcomes[snapshot.key] = (snapshot.phase, failing)
    assert outcomes == EXPECTED


def test_the_ready_partnership_has_gatekeepers_on_both_sides(engine):
    import_examples(engine)
    with engine.connect() as connection:
        rows = connection.execute(select(Party.key, Person.roles).join(Person, Person.party_id == Party.id)).all()
    gatekeepers = [key for key, roles in rows if "gatekeeper" in roles]
    assert gatekeepers.count("northwind") >= 2 and gatekeepers.count("acme") >= 1
    assert any("program_manager" in roles for _key, roles in rows)


def test_the_examples_import_twice_without_change(engine):
    first = import_examples(engine)
    assert (first.partnerships_created, first.parties_created) == (17, 16)
    counts = table_counts(engine)
    assert import_examples(engine) == ImportSummary()
    assert table_counts(engine) == counts


def documented_blocks(language: str) -> list[str]:
    text = (ROOT / "docs" / "import-format.md").read_text()
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.DOTALL)


def test_the_complete_example_of_the_format_documentation_imports(engine):
    complete = next(block for block in documented_blocks("yaml") if block.startswith("programs:"))
    documents = [("example.yaml", complete.encode()), ("example.csv", documented_blocks("csv")[0].encode())]
    with session_scope(engine) as session:
        summary = import_documents(session, documents)
    assert (summary.partnerships_created, summary.sections_replaced) == (2, 14)
