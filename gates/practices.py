"""The three phases and nine practices of the seed article, as constants.

Phases are sequential; practices are not (evidence for any practice may be recorded at any
time). The pyramid reads as three rows, one per phase, with the accelerators in the middle.
"""

from typing import NamedTuple

PHASES: tuple[str, ...] = ("alignment", "execution", "shared_vision")
PHASE_NAMES = {"alignment": "Alignment", "execution": "Execution", "shared_vision": "Shared vision"}
# where a partnership stands in its phase: working on it, ready for its gatekeepers, held, ended
STATES: tuple[str, ...] = ("active", "ready", "on_hold", "terminated")
PARTNERSHIP_KINDS: tuple[str, ...] = ("supplier", "outsourcer", "alliance", "reseller", "internal", "other")


class Practice(NamedTuple):
    number: int
    key: str
    name: str
    phase: str
    column: str  # "business" (left, blue), "relationship" (right, red), "accelerator" (middle)
    why: str  # the seed's words: why the practice matters


PRACTICES: tuple[Practice, ...] = (
    Practice(1, "business_objective", "Clearly Defined Business Objective", "alignment", "accelerator",
             "The business objective is a statement of what needs to happen; it forms the basis for the relationship."),
    Practice(2, "operational_alignment", "Operational Alignment", "alignment", "business",
             "Operational alignment determines how the objective will be accomplished."),
    Practice(3, "relationship_management", "Relationship Management Strategy", "alignment", "relationship",
             "Without knowing the key decision makers and critical people in your partner's organization, "
             "one's ability to impact the desired outcomes is minimized."),
    Practice(4, "trust_credibility", "Trust & Credibility", "execution", "accelerator",
             "Trust is the basis upon which partners exchange ideas, get buy-in, and push forward."),
    Practice(5, "performance_metrics", "Performance Metrics", "execution", "business",
             "Metrics are linked to the business objective and measure cost and performance."),
    Practice(6, "communication_structure", "Communication Structure", "execution", "relationship",
             "A structure for communication keeps partners plugged into critical issues."),
    Practice(7, "knowledge_exchange", "Knowledge Exchange", "shared_vision", "accelerator",
             "Through open exchange partners build intimacy and envision working together in the future."),
    Practice(8, "organizational_alignment", "Organizational Alignment", "shared_vision", "business",
             "The synergy that enables partners to reinvent their businesses for new opportunities."),
    Practice(9, "long_term_relationship", "Long-term Relationship", "shared_vision", "relationship",
             "A belief and faith in the future: pursuing new business opportunities together."),
)

PRACTICE_BY_KEY: dict[str, Practice] = {p.key: p for p in PRACTICES}

# the evidence sections (of an import document, of the evidence API) that record each practice
EVIDENCE_OF_PRACTICE: dict[str, tuple[str, ...]] = {
    "business_objective": ("business_case", "wins", "agreements"),
    "operational_alignment": ("processes", "risks"),
    "relationship_management": ("stakeholders",),
    "trust_credibility": ("commitments", "problems"),
    "performance_metrics": ("metrics",),
    "communication_structure": ("communication", "meetings"),
    "knowledge_exchange": ("knowledge_sessions",),
    "organizational_alignment": ("initiatives",),
    "long_term_relationship": ("opportunities",),
}


def next_phase(phase: str) -> str | None:
    """The phase after `phase`, or None for the final one."""
    index = PHASES.index(phase)
    return PHASES[index + 1] if index + 1 < len(PHASES) else None


def previous_phase(phase: str) -> str | None:
    """The phase before `phase`, or None for the first one."""
    index = PHASES.index(phase)
    return PHASES[index - 1] if index > 0 else None
