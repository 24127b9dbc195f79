import pytest

from partnerflow.engine.policies import read_policy
from partnerflow.engine.phases.review import review_all
from partnerflow.engine.settings import DEFAULT_POLICY
from partnerflow.models import session_scope
from tests import factories
from tests.factories import AS_OF


@pytest.fixture
def reviewed(engine):
    """The small portfolio (acme-supply ready, star advanced, empty blocked), reviewed as of AS_OF."""
    with session_scope(engine) as session:
        factories.small_portfolio(session)
    review_all(engine, read_policy(DEFAULT_POLICY), AS_OF, batch_size=100)
    return engine
