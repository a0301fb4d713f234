"""Small HTML checks for page tests: CSRF tokens in POST forms, a label on every field."""

from __future__ import annotations

from html.parser import HTMLParser

FIELD_TAGS = {"input", "select", "textarea"}
UNLABELLED_INPUT_TYPES = {"hidden", "submit", "button", "reset", "image"}


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []  # {"method", "action", "csrf": bool}
        self.fields: list[dict] = []  # {"tag", "id", "type", "name", "in_label": bool}
        self.label_for: set[str] = set()
        self._label_depth = 0
        self._form: dict | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._form = {
                "method": (a.get("method") or "get").lower(),
                "action": a.get("action"),
                "csrf": False,
            }
            self.forms.append(self._form)
        elif tag == "label":
            self._label_depth += 1
            if a.get("for"):
                self.label_for.add(a["for"])
        elif tag in FIELD_TAGS:
            if tag == "input" and a.get("name") == "csrfmiddlewaretoken" and self._form:
                self._form["csrf"] = True
            self.fields.append(
                {
                    "tag": tag,
                    "id": a.get("id"),
                    "type": (a.get("type") or "text"),
                    "name": a.get("name"),
                    "in_label": self._label_depth > 0,
                }
            )

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "label":
            self._label_depth = max(0, self._label_depth - 1)


def parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    return page


def assert_csrf_on_post_forms(html: str) -> int:
    """Every POST form carries the CSRF token; returns how many POST forms there are."""
    page = parse(html)
    posts = [f for f in page.forms if f["method"] == "post"]
    missing = [f["action"] for f in posts if not f["csrf"]]
    assert not missing, f"POST forms without a CSRF token: {missing}"
    return len(posts)


def assert_fields_labelled(html: str) -> int:
    """Every visible field has a <label> (for its id, or around it); returns the field count."""
    page = parse(html)
    fields = [
        f for f in page.fields if not (f["tag"] == "input" and f["type"] in UNLABELLED_INPUT_TYPES)
    ]
    unlabelled = [f for f in fields if not f["in_label"] and f["id"] not in page.label_for]
    assert not unlabelled, f"fields without a label: {unlabelled}"
    return len(fields)


def check_page(response) -> str:
    """Both checks on a rendered HTML response; returns the HTML."""
    html = response.content.decode()
    assert_csrf_on_post_forms(html)
    assert_fields_labelled(html)
    return html


class _Tags(HTMLParser):
    def __init__(self, tag: str):
        super().__init__(convert_charrefs=True)
        self.tag = tag
        self.found: list[dict[str, str]] = []

    def handle_starttag(self, tag, attrs):
        if tag == self.tag:
            self.found.append({name: value if value is not None else "" for name, value in attrs})


def tags(html: str, tag: str) -> list[dict[str, str]]:
    """The attributes (values decoded) of every ``tag`` element in the page, in order."""
    parser = _Tags(tag)
    parser.feed(html)
    parser.close()
    return parser.found


def assert_email_frames_are_inert(html: str) -> list[dict[str, str]]:
    """The page's only scripts are the app's own files, and every frame is sandboxed with no
    permission at all (a frame's srcdoc can run nothing); returns the frames."""
    scripts = tags(html, "script")
    assert all(s.get("src", "").startswith("/static/") for s in scripts), scripts
    frames = tags(html, "iframe")
    for frame in frames:
        assert frame.get("sandbox") == "", frame.get("sandbox")
        assert "src" not in frame  # content only through srcdoc, never loaded
    return frames
