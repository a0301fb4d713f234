"""Alerts: problems found by a periodic pass (`detect`), kept as `Alert` rows while they last,
emailed at most once a day each (`notify`) and shown in a banner (`context`).
docs/architecture.md, "Operations"."""
