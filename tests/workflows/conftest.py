from tests.pipeline.conftest import auth, make_workflow, post_delivery, store  # noqa: F401
from tests.workflows.fixtures import fire, survey  # noqa: F401
