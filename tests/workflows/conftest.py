"""The pipeline's fixtures (a BigCommerce store mocked from its examples, workflows, deliveries
posted like BigCommerce's), for workflow tests that deliver events end to end."""

from tests.pipeline.conftest import auth, make_workflow, post_delivery, store  # noqa: F401
