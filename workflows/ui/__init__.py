"""Web UI for workflows: the setup wizard, the workflow page with its steps editor, runs."""
