"""Importing a portfolio: all-or-nothing, every error located, upserts by key, sections replaced."""

from datetime import date

import pytest
from sqlalchemy import select

from partnerflow.engine import intake
from partnerflow.engine.intake import ImportSummary, import_documents, import_files
from partnerflow.gates.documents import InvalidDocument
from partnerflow.models import (
    Agreement,
    AuditEvent,
    Measurement,
    Meeting,
    Member,
    Partnership,
    Party,
    Person,
    Risk,
    Signature,
    session_scope,
)
from tests.engine.harness import table_counts
from tests.factories import AS_OF

PORTFOLIO = """\
programs:
  - {key: supply-base, name: Supply base}
parties:
  - {key: northwind, name: Northwind Manufacturing, internal: true}
  - {key: acme, name: Acme Castings}
people:
  - {email: tom@northwind.example, name: Tom Becker, party: northwind, roles: [gatekeeper]}
  - {email: nina@acme.example, name: Nina Kowalski, party: acme}
partnerships:
  - key: acme-castings
    name: Acme Castings
    kind: supplier
    program: supply-base
    parties: [northwind, acme]
    sponsor: tom@northwind.example
    owner: tom@northwind.example
    members:
      - {person: nina@acme.example, role: account_manager, responsibilities: Orders and quality}
    evidence:
      wins:
        - {party: acme, statement: Volume for the new line}
      agreements:
        - reference: NW-1
          effective_on: 2026-01-01
          expires_on: 2027-12-31
          signatures:
            - {party: acme, by: nina@acme.example, signed_on: "2025-12-20"}
      risks:
        - {description: Porosity, mitigation: X-ray the first lots, owner: tom@northwind.example}
      metrics:
        - key: otd
          name: On-time delivery %
          target: 95
          measurements:
            - {period_end: 2026-01-31, value: 96}
      meetings:
        - {held_on: 2026-02-03, summary: Kick-off}
"""

CSV = """\
key,name,kind,program,parties,phase,sponsor,owner
acme-brackets,Acme brackets,supplier,supply-base,northwind;acme,execution,tom@northwind.example,tom@northwind.example
"""


def run(engine, *documents: tuple[str, str | bytes]) -> ImportSummary:
    with session_scope(engine) as session:
        return import_documents(session, [(name, _bytes(text)) for name, text in documents])


def _bytes(text: str | bytes) -> bytes:
    return text if isinstance(text, bytes) else text.encode()


def refused(engine, *documents) -> list:
    """The errors of an import that is refused; asserts that nothing was written."""
    before = table_counts(engine)
    with pytest.raises(InvalidDocument) as caught:
        run(engine, *documents)
    assert table_counts(engine) == before
    return caught.value.errors


def rejected(engine, *documents) -> list[tuple[str, int, str]]:
    """The (file, line, field) of every error; asserts that nothing was written."""
    return [(e.source, e.line, e.field) for e in refused(engine, *documents)]


def line_of(text: str, snippet: str) -> int:
    """The line of `text` holding `snippet`, which must occur once."""
    lines = [number for number, line in enumerate(text.splitlines(), 1) if snippet in line]
    assert len(lines) == 1, snippet
    return lines[0]


def portfolio(old: str = "", new: str = "") -> str:
    assert old in PORTFOLIO
    return PORTFOLIO.replace(old, new)


def fetch(engine, statement) -> list:
    with engine.connect() as connection:
        return list(connection.execute(statement))


# ------------------------------------------------------------------ bad input: nothing written


def test_a_yaml_syntax_error_names_its_line(engine):
    text = portfolio("  - {key: acme, name: Acme Castings}", "  - {key: acme, name: [Acme Castings}")
    assert rejected(engine, ("p.yaml", text)) == [("p.yaml", line_of(text, "[Acme"), "(document)")]


def test_an_unknown_key_is_an_error(engine):
    text = portfolio("      meetings:", "      meeting_notes:")
    assert rejected(engine, ("p.yaml", text)) == [
        ("p.yaml", line_of(text, "meeting_notes"), "partnerships[0].evidence.meeting_notes")]


def test_an_unknown_top_level_key_is_an_error(engine):
    text = PORTFOLIO + "contracts: []\n"
    assert rejected(engine, ("p.yaml", text)) == [("p.yaml", line_of(text, "contracts"), "contracts")]


def test_a_missing_field_is_an_error(engine):
    text = portfolio("name: Nina Kowalski, ", "")
    assert rejected(engine, ("p.yaml", text)) == [
        ("p.yaml", line_of(text, "nina@acme.example, party"), "people[1].name")]


def test_a_new_partnership_needs_its_program_parties_and_people(engine):
    text = portfolio("    program: supply-base\n", "")
    assert rejected(engine, ("p.yaml", text)) == [
        ("p.yaml", line_of(text, "key: acme-castings"), "partnerships[0].program")]


def test_a_wrong_type_is_an_error(engine):
    text = portfolio("target: 95", "target: high")
    assert rejected(engine, ("p.yaml", text)) == [
        ("p.yaml", line_of(text, "target: high"), "partnerships[0].evidence.metrics[0].target")]


@pytest.mark.parametrize("written", ["2026-02-30", '"2026-02-30"', '"next monday"'])
def test_an_invalid_date_is_an_error(engine, written):
    text = portfolio("held_on: 2026-02-03", f"held_on: {written}")
    assert rejected(engine, ("p.yaml", text)) == [
        ("p.yaml", line_of(text, "held_on"), "partnerships[0].evidence.meetings[0].held_on")]


def test_an_agreement_cannot_expire_before_it_takes_effect(engine):
    text = portfolio("expires_on: 2027-12-31", "expires_on: 2025-12-31")
    assert rejected(engine, ("p.yaml", text)) == [
        ("p.yaml", line_of(text, "expires_on"), "partnerships[0].evidence.agreements[0].expires_on")]


def test_a_problem_cannot_be_resolved_before_it_was_raised(engine):
    text = PORTFOLIO + ("      problems:\n"
                        "        - {summary: Late lot, raised_on: 2026-03-10, resolved_on: 2026-03-01}\n")
    assert rejected(engine, ("p.yaml", text)) == [
        ("p.yaml", line_of(text, "Late lot"), "partnerships[0].evidence.problems[0].resolved_on")]


@pytest.mark.parametrize("parties", ["[northwind]", "[acme, acme]"])
def test_a_partnership_needs_two_distinct_parties(engine, parties):
    text = portfolio("parties: [northwind, acme]", f"parties: {parties}")
    assert rejected(engine, ("p.yaml", text)) == [("p.yaml", line_of(text, "parties: ["), "partnerships[0].parties")]


def test_references_to_unknown_people_parties_and_programs_are_errors(engine):
    text = portfolio("program: supply-base", "program: aftermarket").replace(
        "party: acme}", "party: acme-gmbh}").replace("owner: tom@northwind.example\n", "owner: ann@northwind.example\n")
    assert sorted(rejected(engine, ("p.yaml", text))) == sorted([
        ("p.yaml", line_of(text, "program: aftermarket"), "partnerships[0].program"),
        ("p.yaml", line_of(text, "party: acme-gmbh"), "people[1].party"),
        ("p.yaml", line_of(text, "owner: ann@"), "partnerships[0].owner"),
    ])


def test_a_party_outside_the_partnership_cannot_win_sign_or_commit(engine):
    text = portfolio("{party: acme, statement", "{party: northwind, statement").replace(
        "{party: acme, by:", "{party: boltline, by:") + (
        "      commitments:\n        - {party: boltline, description: Samples, due_on: 2026-03-01}\n")
    text = text.replace("parties:\n", "parties:\n  - {key: boltline, name: Boltline Fasteners}\n", 1)
    assert rejected(engine, ("p.yaml", text)) == [
        ("p.yaml", line_of(text, "{party: boltline, by:"),
         "partnerships[0].evidence.agreements[0].signatures[0].party"),
        ("p.yaml", line_of(text, "description: Samples"), "partnerships[0].evidence.commitments[0].party"),
    ]


def test_duplicate_keys_in_one_file_are_errors(engine):
    text = portfolio("  - {key: acme, name: Acme Castings}",
                     "  - {key: acme, name: Acme Castings}\n  - {key: acme, name: Acme}")
    assert rejected(engine, ("p.yaml", text)) == [("p.yaml", line_of(text, "name: Acme}"), "parties[2].key")]


def test_duplicate_keys_across_files_are_errors(engine):
    other = "partnerships:\n  - {key: acme-castings, name: Acme again}\n"
    assert rejected(engine, ("a.yaml", PORTFOLIO), ("b.yaml", other)) == [("b.yaml", 2, "partnerships[0].key")]


def test_entries_that_must_differ_are_errors_when_repeated(engine):
    text = portfolio("        - {held_on: 2026-02-03, summary: Kick-off}",
                     "        - {held_on: 2026-02-03, summary: Kick-off}\n"
                     "      stakeholders:\n"
                     "        - {person: nina@acme.example, influence: decision_maker}\n"
                     "        - {person: nina@acme.example, influence: critical}")
    assert rejected(engine, ("p.yaml", text)) == [
        ("p.yaml", line_of(text, "influence: critical"), "partnerships[0].evidence.stakeholders[1].person")]


def test_an_empty_file_is_an_error(engine):
    assert rejected(engine, ("empty.yaml", "# nothing yet\n")) == [("empty.yaml", 1, "(document)")]


def test_a_file_that_is_not_utf8_is_an_error(engine):
    raw = PORTFOLIO.replace("Nina Kowalski", "Nina Kowalsk\xed").encode("latin-1")
    assert rejected(engine, ("p.yaml", raw)) == [("p.yaml", line_of(PORTFOLIO, "Nina Kowalski"), "(document)")]


def test_a_bare_on_key_gets_a_hint(engine):
    text = portfolio('signed_on: "2025-12-20"', "on: 2025-12-20")
    before = table_counts(engine)
    with pytest.raises(InvalidDocument, match="write `signed_on:`") as caught:
        run(engine, ("p.yaml", text))
    assert [(e.line, e.field) for e in caught.value.errors] == [
        (line_of(text, "on: 2025"), "partnerships[0].evidence.agreements[0].signatures[0]")]
    assert table_counts(engine) == before


def test_a_file_of_another_type_is_an_error(engine):
    assert rejected(engine, ("portfolio.json", "{}")) == [("portfolio.json", 1, "(document)")]


def test_a_missing_file_is_an_error(engine, tmp_path):
    path = tmp_path / "nowhere.yaml"
    with pytest.raises(InvalidDocument) as caught, session_scope(engine) as session:
        import_files(session, [path])
    assert [str(e) for e in caught.value.errors] == [f"{path}:1: (document): file not found"]


def test_a_csv_error_names_its_line_and_column(engine):
    csv = CSV + "acme-rings,Acme rings,vendor,supply-base,northwind;acme,,tom@northwind.example,tom@northwind.example\n"
    assert rejected(engine, ("p.yaml", PORTFOLIO), ("p.csv", csv)) == [("p.csv", 3, "kind")]


def test_an_unknown_csv_column_is_an_error(engine):
    assert rejected(engine, ("p.csv", "key,name,region\n")) == [("p.csv", 1, "region")]


def test_the_phase_of_an_existing_partnership_cannot_be_imported(engine):
    run(engine, ("p.yaml", PORTFOLIO))
    text = portfolio("    kind: supplier\n", "    kind: supplier\n    phase: execution\n")
    with pytest.raises(InvalidDocument) as caught:
        run(engine, ("p.yaml", text))
    assert [str(e) for e in caught.value.errors] == [
        f"p.yaml:{line_of(text, 'phase: execution')}: partnerships[0].phase: the phase of an existing partnership "
        "changes only through reviews and decisions (it is alignment)"]


def test_every_error_of_every_file_is_reported_together(engine):
    yaml_text = portfolio("target: 95", "target: high").replace("held_on: 2026-02-03", "held_on: soon")
    csv = CSV.replace("northwind;acme", "northwind")
    assert rejected(engine, ("p.yaml", yaml_text), ("p.csv", csv), ("bad.yaml", "a: [")) == [
        ("bad.yaml", 1, "(document)"),
        ("p.csv", 2, "parties"),
        ("p.yaml", line_of(yaml_text, "target: high"), "partnerships[0].evidence.metrics[0].target"),
        ("p.yaml", line_of(yaml_text, "held_on: soon"), "partnerships[0].evidence.meetings[0].held_on"),
    ]


# ------------------------------------------------------------------ good input


def test_a_full_import_creates_every_row(engine):
    summary = run(engine, ("p.yaml", PORTFOLIO), ("p.csv", CSV))
    assert summary == ImportSummary(1, 0, 2, 0, 2, 0, 2, 0, 5)
    assert str(summary) == "created 1 program, 2 parties, 2 people, 2 partnerships; replaced 5 evidence sections"
    partnerships = {p.key: p for p in fetch(engine, select(Partnership))}
    acme = partnerships["acme-castings"]
    assert (acme.phase, acme.state, acme.version, acme.cycle) == ("alignment", "active", 1, 1)
    assert acme.phase_since == AS_OF
    assert partnerships["acme-brackets"].phase == "execution"
    assert fetch(engine, select(Person.name, Person.roles).where(Person.email == "tom@northwind.example")) == [
        ("Tom Becker", ["gatekeeper"])]
    assert fetch(engine, select(Signature.signed_on)) == [(date(2025, 12, 20),)]
    assert fetch(engine, select(Measurement.period_end, Measurement.value)) == [(date(2026, 1, 31), 96.0)]
    assert fetch(engine, select(AuditEvent.kind, AuditEvent.partnership_id, AuditEvent.data).where(
        AuditEvent.partnership_id == acme.id)) == [("partnership.created", acme.id, {
            "key": "acme-castings",
            "sections": ["parties", "members", "wins", "agreements", "risks", "metrics", "meetings"]})]


def test_importing_twice_changes_nothing(engine):
    run(engine, ("p.yaml", PORTFOLIO), ("p.csv", CSV))
    before = table_counts(engine)
    summary = run(engine, ("p.yaml", PORTFOLIO), ("p.csv", CSV))
    assert summary == ImportSummary()
    assert str(summary) == "nothing changed: everything was already recorded"
    assert table_counts(engine) == before


def test_an_upsert_by_key_updates_without_duplicating(engine):
    run(engine, ("p.yaml", PORTFOLIO))
    renamed = portfolio("{key: acme, name: Acme Castings}", "{key: acme, name: Acme Castings Ltd}").replace(
        "    name: Acme Castings\n", "    name: Acme Castings - housings\n")
    summary = run(engine, ("p.yaml", renamed))
    assert (summary.parties_updated, summary.partnerships_updated, summary.sections_replaced) == (1, 1, 0)
    assert fetch(engine, select(Party.name).where(Party.key == "acme")) == [("Acme Castings Ltd",)]
    assert fetch(engine, select(Partnership.name)) == [("Acme Castings - housings",)]
    assert fetch(engine, select(AuditEvent.data).where(AuditEvent.kind == "partnership.imported")) == [
        ({"key": "acme-castings", "sections": [], "fields": ["name"]},)]


def test_a_section_given_replaces_its_rows_and_leaves_the_others(engine):
    run(engine, ("p.yaml", PORTFOLIO))
    update = ("partnerships:\n  - key: acme-castings\n    evidence:\n      meetings:\n"
              "        - {held_on: 2026-03-03, kind: formal, summary: February review}\n"
              "        - {held_on: 2026-03-10, kind: informal, summary: Plant visit}\n")
    summary = run(engine, ("update.yaml", update))
    assert (summary.partnerships_updated, summary.sections_replaced) == (1, 1)
    assert sorted(fetch(engine, select(Meeting.held_on, Meeting.summary))) == [
        (date(2026, 3, 3), "February review"), (date(2026, 3, 10), "Plant visit")]
    assert fetch(engine, select(Risk.description)) == [("Porosity",)]
    assert len(fetch(engine, select(Agreement.id))) == 1 and len(fetch(engine, select(Member.id))) == 1


def test_a_partnership_may_refer_to_parties_and_people_already_recorded(engine):
    run(engine, ("p.yaml", PORTFOLIO))
    summary = run(engine, ("more.csv", CSV))
    assert summary.partnerships_created == 1 and summary.parties_created == 0
    assert {p.key for p in fetch(engine, select(Partnership.key))} == {"acme-castings", "acme-brackets"}


def test_a_signature_by_an_existing_party_may_be_added_later(engine):
    run(engine, ("p.yaml", PORTFOLIO))
    update = ("partnerships:\n  - key: acme-castings\n    evidence:\n      agreements:\n"
              "        - reference: NW-1\n          effective_on: 2026-01-01\n          expires_on: 2027-12-31\n"
              "          signatures:\n            - {party: acme, by: nina@acme.example, signed_on: 2025-12-20}\n"
              "            - {party: northwind, signed_on: 2025-12-22}\n")
    assert run(engine, ("update.yaml", update)).sections_replaced == 1
    assert len(fetch(engine, select(Signature.id))) == 2


def test_the_import_does_not_commit(engine):
    with session_scope(engine) as session:
        import_documents(session, [("p.yaml", PORTFOLIO.encode())])
        session.rollback()
    assert table_counts(engine)["partnership"] == 0


def test_the_public_face_of_intake():
    assert sorted(intake.__all__) == ["EVIDENCE_SECTIONS", "FIRST_DAY", "ImportSummary", "LAST_DAY", "LIST_SECTIONS",
                                     "import_documents", "import_files",
                                     "may_change_evidence",
                                     "supply_evidence"]


# ------------------------------------------------------------------ channels

WITH_CHANNELS = portfolio(
    "  - {email: nina@acme.example, name: Nina Kowalski, party: acme}\n",
    "  - email: nina@acme.example\n    name: Nina Kowalski\n    party: acme\n    channels:\n"
    "      - {kind: email}\n"
    "      - {kind: webhook, address: 'https://93.184.216.34/hooks/partnerflow', secret: whsec_" + "A" * 32 + "}\n"
    "      - {kind: inbox, digest: true}\n")


def test_people_channels_are_imported_and_a_second_import_changes_nothing(engine):
    from partnerflow.engine.sealing import Keyring
    from partnerflow.engine.settings import get_settings
    from partnerflow.models import Channel

    run(engine, ("people.yaml", WITH_CHANNELS))
    stored = fetch(engine, select(Channel.kind, Channel.address, Channel.digest).order_by(Channel.id))
    keyring = Keyring.of(get_settings())
    assert [(kind, keyring.unseal(address), digest) for kind, address, digest in stored] == [
        ("email", "nina@acme.example", False), ("webhook", "https://93.184.216.34/hooks/partnerflow", False),
        ("inbox", "", True)]
    assert stored[1][1].startswith("enc:v1:")  # a webhook URL is stored sealed (engine/sealing.py)
    before = table_counts(engine)
    run(engine, ("people.yaml", WITH_CHANNELS))
    assert table_counts(engine) == before


@pytest.mark.parametrize(("address", "secret", "reason"), [
    ("http://10.0.0.7/hook", "whsec_" + "A" * 32, "10.0.0.7 is a private address"),
    ("http://169.254.169.254/latest", "whsec_" + "A" * 32, "link-local"),
    ("https://93.184.216.34/hook", None, "a webhook needs a signing secret"),
])
def test_a_channel_target_is_validated_when_imported(engine, address, secret, reason):
    text = WITH_CHANNELS.replace("address: 'https://93.184.216.34/hooks/partnerflow', secret: whsec_" + "A" * 32,
                                 f"address: '{address}'" + (f", secret: {secret}" if secret else ""))
    before = table_counts(engine)
    with pytest.raises(InvalidDocument) as caught:
        run(engine, ("people.yaml", text))
    assert table_counts(engine) == before
    [error] = caught.value.errors
    assert (error.line, error.field) == (line_of(text, "kind: webhook"), "people[1].channels[1].address")
    assert reason in error.message and error.message.startswith("webhook target refused")
