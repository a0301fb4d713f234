"""Every URL of the site, from the URLconf, so tests cover a new endpoint without being told.

A route is public only if it is in PUBLIC; every other one needs a login. Routes whose `pk` is
an object are mapped to a model: DRF views by their queryset, UI views by OBJECT_ROUTES. A route
that can't be mapped makes the classification test fail until it is added here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest
from django.test import RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver, reverse

# Reachable without logging in: the login page, logout, the health check, the webhook
# receiver (which authenticates every call with its subscription's secret) and the unsubscribe
# page (a signed token names the one address it suppresses), a survey's response page (its
# invitation's 256-bit token is the key), and the email providers' tracking webhooks (anymail
# checks their basic auth and signatures).
PUBLIC = {"login", "logout", "healthz", "bigcommerce-webhook", "unsubscribe", "survey"} | {
    f"{esp}_tracking_webhook" for esp in ("amazon_ses", "mailgun", "postmark", "sendgrid")
}
# UI routes whose `pk` names an object, by route-name prefix (the first match wins).
OBJECT_ROUTES = [
    ("workflows:run", "workflows.WorkflowRun"),
    ("workflows:delivery-", "integrations.WebhookDelivery"),
    ("workflows:job", "workflows.Job"),
    ("workflows:subscription-", "integrations.WebhookSubscription"),
    ("workflows:", "workflows.Workflow"),
    ("authentications:", "integrations.BigCommerceAuthentication"),
    ("sending:suppression", "workflows.Suppression"),
    ("surveys:", "surveys.Survey"),
]
# UI routes of the BigCommerce apps a member without the Integration Manager permission may use:
# reading, and the wizard's first two steps (the second refuses BigCommerce itself).
MEMBER_UI_ROUTES = {
    "workflows:list",
    "workflows:detail",
    "workflows:run",
    "workflows:runs",
    "workflows:deliveries",
    "workflows:job",
    "workflows:alerts",
    "workflows:new",
    "workflows:new-name",
    "workflows:new-initiator",
    "authentications:list",
    "sending:suppressions",
    "sending:suppression-export",
    "surveys:list",
    "surveys:edit",
    "surveys:results",
    "surveys:results-csv",
}
SAFE_METHODS = {"get", "head", "options"}


@dataclass(frozen=True)
class Route:
    name: str  # "namespace:name"
    pattern: str
    params: tuple[str, ...]
    callback: Callable

    @property
    def namespace(self) -> str:
        return self.name.split(":", 1)[0] if ":" in self.name else ""

    @property
    def is_api(self) -> bool:
        return self.namespace == "api"

    @property
    def view_class(self):
        return getattr(self.callback, "cls", None)

    def model_label(self) -> str | None:
        """The model whose object `pk` names, or None when the route has no `pk`."""
        if "pk" not in self.params:
            return None
        queryset = getattr(self.view_class, "queryset", None)
        if queryset is not None:
            return queryset.model._meta.label
        for prefix, label in OBJECT_ROUTES:
            if self.name.startswith(prefix):
                return label
        return None

    def api_methods(self) -> list[str]:
        """The HTTP methods a DRF route answers (lower case), without HEAD/OPTIONS."""
        cls = self.view_class
        actions = getattr(self.callback, "actions", None)
        if actions:
            allowed = set(getattr(cls, "http_method_names", actions))
            return sorted(m for m in actions if m in allowed and m not in ("head", "options"))
        return sorted(
            m for m in cls.http_method_names if hasattr(cls, m) and m not in ("head", "options")
        )


def routes() -> list[Route]:
    """Every named route outside the Django admin (the admin is covered from its registry)."""
    found: list[Route] = []

    def walk(patterns, prefix: str, namespace: str | None) -> None:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                inner = entry.namespace
                if inner == "admin":
                    continue
                ns = f"{namespace}:{inner}" if namespace and inner else inner or namespace
                walk(entry.url_patterns, prefix + str(entry.pattern), ns)
            elif isinstance(entry, URLPattern):
                name = f"{namespace}:{entry.name}" if namespace else entry.name
                params = tuple(entry.pattern.regex.groupindex)
                found.append(Route(name, prefix + str(entry.pattern), params, entry.callback))

    walk(get_resolver().url_patterns, "", None)
    return found


def admin_url(model, view: str, *args) -> str:
    """``admin_url(Workflow, "change", 3)`` -> ``/admin/workflows/workflow/3/change/``."""
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def admin_urls(model, objects=(), views=("change", "delete", "history"), *, add=False) -> list:
    """A model's admin pages: its changelist first (then its add page, with `add`), then each
    of `views` for each of `objects`."""
    urls = [admin_url(model, "changelist")] + ([admin_url(model, "add")] if add else [])
    return urls + [admin_url(model, view, obj.pk) for obj in objects for view in views]


def admin_request(user) -> HttpRequest:
    """A request of `user` to the admin, for a ModelAdmin's `get_queryset`."""
    request = RequestFactory().get("/admin/")
    request.user = user
    return request
