"""Feedback surveys: surveys and their questions, the invitations a workflow's
``survey_invite`` step sends, and the customers' responses (docs/architecture.md, "Feedback
surveys")."""
