import pytest

from tests.engine.harness import portfolio, review


@pytest.fixture
def reviewed(engine):
    """The small portfolio (acme-supply ready, star advanced, empty blocked), reviewed as of AS_OF."""
    portfolio(engine)
    review(engine)
    return engine
