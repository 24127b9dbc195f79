"""Each evidence entity is declared as a table (`models`), a snapshot record (`gates`) and an
import shape (`engine.intake`). The words they may hold are declared once, in `gates`; these
tests hold the three declarations to each other, so a column added to one and not the others
fails here, not in a user's import."""

import typing

import pytest

from partnerflow.engine.intake.evidence import EvidenceIn
from partnerflow.engine.intake.fields import Shape
from partnerflow.engine.intake.sections import SECTIONS, data_columns
from partnerflow.gates import EVIDENCE_OF_PRACTICE, PRACTICE_BY_KEY, snapshot


def shape_in(annotation) -> type | None:
    """The shape inside an annotation such as `Annotated[tuple[WinIn, ...], …] | None`."""
    if isinstance(annotation, type) and issubclass(annotation, Shape):
        return annotation
    return next(filter(None, map(shape_in, typing.get_args(annotation))), None)


def shape_of(section: str) -> type:
    """The import shape of one entry of `section`, read from `EvidenceIn`'s annotations."""
    return shape_in(EvidenceIn.model_fields[section].annotation)


def columns_filled_by(shape: type, renamed: dict[str, str] | None = None) -> set[str]:
    fields = set(shape.model_fields) - set(shape.children)
    return {shape.refs[f][0] if f in shape.refs else (renamed or {}).get(f, f) for f in fields}


# a process entry's name fills the `process` column of each of its owners' rows
RENAMED = {"processes": {"name": "process"}}


EVIDENCE = [name for name in SECTIONS if name in EvidenceIn.model_fields]


@pytest.mark.parametrize("section", EVIDENCE)
def test_an_import_shape_fills_exactly_the_columns_of_its_table(section):
    table = SECTIONS[section].table
    assert columns_filled_by(shape_of(section), RENAMED.get(section)) == set(data_columns(table, "partnership_id"))


@pytest.mark.parametrize("section", [s for s in EVIDENCE if SECTIONS[s].child])
def test_a_child_shape_fills_exactly_the_columns_of_its_child_table(section):
    field, table, parent = SECTIONS[section].child
    child_shape = shape_in(shape_of(section).model_fields[field].annotation)
    assert columns_filled_by(child_shape) == set(data_columns(table, parent))


def worded_fields(record: type) -> dict[str, type]:
    return {name: hint for name, hint in typing.get_type_hints(record).items()
            if typing.get_origin(hint) is typing.Literal}


@pytest.mark.parametrize("section", EVIDENCE)
def test_the_words_an_import_accepts_are_the_words_the_checks_read(section):
    shape = shape_of(section)
    record = RECORDS.get(section) or getattr(snapshot, shape.__name__.removesuffix("In"))
    for name, words in worded_fields(record).items():
        assert shape.model_fields[name].annotation == words, name


RECORDS = {"processes": snapshot.ProcessOwner, "communication": snapshot.CommunicationPlan}


def test_every_evidence_section_records_exactly_one_practice():
    recorded = [section for sections in EVIDENCE_OF_PRACTICE.values() for section in sections]
    assert sorted(recorded) == sorted(EVIDENCE)
    assert set(EVIDENCE_OF_PRACTICE) == set(PRACTICE_BY_KEY)
