"""The commands that run a Prefect flow in this process: the review and the dispatch.

Prefect is imported only here, when such a command runs, through the flows' face: `status`,
`history`, `decide` and `--help` answer without it.
"""

from datetime import date

from partnerflow.cli import render
from partnerflow.cli.server import use_local_server
from partnerflow.engine import progress_listening


def run_review(as_of: date, keys: list[str], batch_size: int | None, *, full: bool, show_progress: bool) -> dict:
    use_local_server()  # `partnerflow server start`'s, when it answers: no ephemeral start-up
    with render.progress_bar(enabled=show_progress, description="Reviewing") as listener:
        from partnerflow import flows

        with progress_listening(listener):
            return flows.run_in_process(flows.review_portfolio,
                                        flows.ReviewParameters(as_of=as_of, partnerships=keys, batch_size=batch_size,
                                                                full=full))


def run_dispatch() -> dict:
    use_local_server()
    from partnerflow import flows

    return flows.run_in_process(flows.dispatch_notifications)
