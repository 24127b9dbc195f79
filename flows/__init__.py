"""Prefect flows around engine/: the only room that imports Prefect."""

from flows.review import ReviewParameters, review_partnership, review_portfolio

__all__ = ["ReviewParameters", "review_partnership", "review_portfolio"]
