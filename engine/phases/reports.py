"""Human-readable summaries of what the engine did."""

from datetime import date

from partnerflow.engine.phases.review import ReviewReport
from partnerflow.notify import render


def review_summary(report: ReviewReport, *, as_of: date, policy_version: str) -> str:
    """Markdown summary of a review run (published as a Prefect artifact)."""
    return render("reports/review_summary.md.j2", report=report, as_of=as_of, policy_version=policy_version)
