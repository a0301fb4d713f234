"""Web UI of the accounts app (API token page) and the UI's shared permission helpers."""
