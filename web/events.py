"""Evidence written through the web (the API, a task's page) is announced to Prefect as
`partnerflow.evidence.changed` (flows/events.py), so that an automation can review the partnership
at once. Only when PREFECT_API_URL names a server to receive it: Prefect is loaded only then."""

import os


def evidence_changed(key: str) -> None:
    if os.environ.get("PREFECT_API_URL"):
        from partnerflow import flows  # loads Prefect: only when a server listens

        flows.announce_evidence_changed([key])
