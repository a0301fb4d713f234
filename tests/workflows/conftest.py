from tests.pipeline.conftest import auth, make_workflow, post_delivery, store  # noqa: F401
