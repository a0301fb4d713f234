"""The default layout of an HTML email: the store's name above a white card holding the body,
and a footer with the unsubscribe link. Any step that sends HTML email calls ``render_layout``.

Made for mail clients: a fluid table 600 px wide at most (so it fits a phone's screen without
media queries, which many clients drop), every style inline, no image, font or stylesheet loaded
from anywhere. ``html_body`` must already be safe (``workflows.email_html.sanitize``); the
subject, the store's name and the link are escaped here.
"""

from __future__ import annotations

from html import escape

FONT = "font-family:-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif"
PAGE_COLOUR = "#f4f5f7"
TEXT_COLOUR = "#1f2933"
MUTED_COLOUR = "#6b7280"


def render_layout(
    subject: str, html_body: str, store_name: str, unsubscribe_url: str | None
) -> str:
    """The whole HTML document of an email whose content is ``html_body``."""
    name = escape(store_name.strip())
    header = (
        f'<tr><td style="padding:24px 24px 12px 24px;{FONT};font-size:20px;font-weight:bold;'
        f'color:{TEXT_COLOUR};text-align:left">{name}</td></tr>'
        if name
        else ""
    )
    footer_lines = []
    if unsubscribe_url:
        link = escape(unsubscribe_url, quote=True)
        footer_lines.append(
            f'Don\'t want these emails? <a href="{link}" style="color:{MUTED_COLOUR};'
            f'text-decoration:underline">Unsubscribe</a>.'
        )
    if name:
        footer_lines.append(f"Sent by {name}.")
    footer = (
        f'<tr><td style="padding:16px 24px 24px 24px;{FONT};font-size:12px;line-height:18px;'
        f'color:{MUTED_COLOUR};text-align:center">{"<br>".join(footer_lines)}</td></tr>'
        if footer_lines
        else ""
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="x-apple-disable-message-reformatting">'
        f"<title>{escape(subject)}</title></head>"
        f'<body style="margin:0;padding:0;background-color:{PAGE_COLOUR}">'
        f'<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" '
        f'style="background-color:{PAGE_COLOUR};border-collapse:collapse">'
        '<tr><td align="center" style="padding:16px 8px">'
        '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" '
        'style="max-width:600px;width:100%;border-collapse:collapse">'
        f"{header}"
        '<tr><td style="background-color:#ffffff;border-radius:8px;padding:24px;'
        f"{FONT};font-size:16px;line-height:24px;color:{TEXT_COLOUR};text-align:left;"
        f'word-wrap:break-word">{html_body}</td></tr>'
        f"{footer}"
        "</table></td></tr></table></body></html>\n"
    )
