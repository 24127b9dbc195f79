"""The review flows under Prefect's test harness, against the real database."""

import pytest
from prefect import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey, FlowRunFilter, FlowRunFilterId
from sqlalchemy import func, select

from partnerflow.engine.lookup import NotFound
from partnerflow.flows import ReviewParameters, review_partnership, review_portfolio
from partnerflow.flows.fanout import ShardFailed, fan_out_to
from partnerflow.flows.review import review_one_batch
from partnerflow.models import GateReview, IdRange, Partnership, ReviewRun, ReviewShard
from tests.engine import harness
from tests.factories import AS_OF, NOW


@pytest.fixture
def portfolio(engine):
    harness.portfolio(engine)
    return engine


def test_portfolio_flow_reviews_in_batches_and_applies_approval_modes(portfolio):
    result = review_portfolio(ReviewParameters(as_of=AS_OF, batch_size=2))
    assert result["reviewed"] == 3 and result["written"] == 3
    assert result["advanced"] == ["star"] and result["ready"] == ["acme-supply"]
    assert result["blockers"]["business-case-approved"] == 1
    with portfolio.connect() as connection:
        phases = dict(connection.execute(select(Partnership.key, Partnership.phase)).all())
    assert phases == {"acme-supply": "alignment", "star": "shared_vision", "empty": "alignment"}


def test_flow_publishes_a_markdown_summary_artifact(portfolio):
    state = review_portfolio(ReviewParameters(as_of=AS_OF), return_state=True)
    run_id = state.state_details.flow_run_id
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["portfolio-review"])),
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[run_id])))
    assert len(artifacts) == 1
    markdown = artifacts[0].data
    assert "# Portfolio review as of 2026-11-27" in markdown
    assert "**Advanced:** star" in markdown and "**Waiting for a gatekeeper:** acme-supply" in markdown
    assert "| business-case-approved | 1 |" in markdown


def test_second_flow_run_writes_no_new_reviews(portfolio):
    review_portfolio(ReviewParameters(as_of=AS_OF))
    again = review_portfolio(ReviewParameters(as_of=AS_OF))
    assert again["written"] == 0 and again["advanced"] == [] and again["ready"] == []
    with portfolio.connect() as connection:
        # star advanced to shared vision (no gate), so two partnerships keep one review each, star one
        assert connection.execute(select(func.count()).select_from(GateReview)).scalar_one() == 3


def test_review_partnership_reviews_only_that_one(portfolio):
    result = review_partnership("empty", as_of=AS_OF)
    assert result["reviewed"] == 1 and result["written"] == 1 and result["ready"] == []


def test_unknown_partnership_fails_the_flow_with_its_name(portfolio):
    with pytest.raises(NotFound, match="no partnership with key 'nope'"):
        review_partnership("nope", as_of=AS_OF)


def test_batch_task_unit_is_callable_without_a_flow_run(portfolio):
    with portfolio.connect() as connection:
        ids = connection.execute(select(Partnership.id).order_by(Partnership.id)).scalars().all()
    report = review_one_batch.fn(IdRange(ids[0], ids[-1]), AS_OF, NOW, harness.POLICY)
    assert report.reviewed == 3


def test_portfolio_review_in_shards_here_reports_the_whole_run(portfolio):
    result = review_portfolio(ReviewParameters(as_of=AS_OF, batch_size=1, shard_size=2))
    assert result["reviewed"] == 3 and result["written"] == 3
    assert result["advanced"] == ["star"] and result["ready"] == ["acme-supply"]
    with portfolio.connect() as connection:
        shards = connection.execute(select(ReviewShard.number, ReviewShard.done, ReviewShard.finished_at)
                                    .order_by(ReviewShard.number)).all()
        run = connection.execute(select(ReviewRun.reviewed, ReviewRun.finished_at)).one()
    assert [(number, done) for number, done, _ in shards] == [(1, 2), (2, 1)]
    assert all(finished is not None for _, _, finished in shards)
    assert run.reviewed == 3 and run.finished_at is not None


def test_fanning_out_without_the_shard_deployment_fails_the_run_with_the_fix(portfolio):
    with pytest.raises(ShardFailed, match=r"no deployment 'review-shard/shards' .*make deploy"):
        review_portfolio(ReviewParameters(as_of=AS_OF, fan_out=True))


def test_a_review_not_started_from_a_deployment_reviews_its_shards_here(portfolio):
    assert fan_out_to(None, "review-shard/shards") is None  # the harness has no deployment running this
