"""The pipeline's fixtures (a mocked store, workflows, posting a delivery), used here too."""

from tests.pipeline.conftest import auth, make_workflow, post_delivery, store  # noqa: F401
