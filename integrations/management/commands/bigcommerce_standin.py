"""``manage.py bigcommerce_standin``: run the BigCommerce stand-in in the foreground."""

from __future__ import annotations

import re
import threading

from django.core.management.base import BaseCommand, CommandError

from integrations.standin import DEFAULT_ACCESS_TOKEN, DEFAULT_STORE_HASH, StandIn, is_loopback
from integrations.standin.quota import DEFAULT_QUOTA, DEFAULT_WINDOW_MS


class Command(BaseCommand):
    help = (
        "Run a BigCommerce stand-in on loopback: the store API calls this project makes, with "
        "sample data shaped like BigCommerce's examples, hooks kept in memory and a control API "
        "(/_standin/) to fire deliveries and inject faults. A development tool: its token is a "
        "fixed, well-known dev value and production never uses it."
    )
    requires_system_checks: list[str] = []  # needs no database; start fast

    def add_arguments(self, parser) -> None:
        parser.add_argument("--port", type=int, default=8765, help="TCP port (0: any free one).")
        parser.add_argument(
            "--latency-ms",
            type=int,
            default=0,
            help="Delay added to every store API call, to mimic the network.",
        )
        parser.add_argument(
            "--store-hash", default=DEFAULT_STORE_HASH, help="Store hash the stand-in answers for."
        )
        parser.add_argument(
            "--access-token",
            default=DEFAULT_ACCESS_TOKEN,
            help="X-Auth-Token it accepts (a development value, not a secret).",
        )
        parser.add_argument(
            "--quota",
            type=int,
            default=DEFAULT_QUOTA,
            help="Requests each store may receive per window; more are answered 429.",
        )
        parser.add_argument(
            "--window-ms", type=int, default=DEFAULT_WINDOW_MS, help="The quota's window."
        )
        parser.add_argument(
            "--bind",
            default="127.0.0.1",
            help="Loopback address to listen on (127.0.0.1, ::1 or localhost).",
        )

    def handle(self, *args, **options) -> None:
        bind, store_hash = options["bind"], options["store_hash"]
        if not is_loopback(bind):
            raise CommandError(
                f"Refusing to listen on {bind}: the stand-in serves fake data with a well-known "
                "token, so it only binds to a loopback address (127.0.0.1, ::1 or localhost)."
            )
        if not re.fullmatch(r"[a-z0-9]{1,64}", store_hash):
            raise CommandError("--store-hash must be lowercase letters and digits, e.g. 'standin'.")
        if options["latency_ms"] < 0:
            raise CommandError("--latency-ms must be 0 or more.")
        try:
            standin = StandIn(
                bind,
                options["port"],
                options["latency_ms"],
                {store_hash: options["access_token"]},
                quota=options["quota"],
                window_ms=options["window_ms"],
            )
        except ValueError as exc:
            raise CommandError(f"--quota / --window-ms: {exc}") from exc
        try:
            standin.start()
        except (OSError, OverflowError) as exc:
            raise CommandError(f"Could not listen on {bind}:{options['port']}: {exc}") from exc
        base = standin.base_url
        self.stdout.write(
            f"BigCommerce stand-in (development only) listening on {base}\n"
            f"  BIGCOMMERCE_API_BASE_URL={base}\n"
            f"  Store hash:   {store_hash}\n"
            f"  Access token: {options['access_token']}\n"
            f"  Latency:      {options['latency_ms']} ms per store API call\n"
            f"  Quota:        {options['quota']} requests per {options['window_ms']} ms\n"
            f"  Control API:  {base}/_standin/ (stats, stats/reset, fire, faults, hooks)\n"
            "Press Ctrl+C to stop."
        )
        try:
            self.wait()
        except KeyboardInterrupt:
            pass
        finally:
            standin.stop()
            self.stdout.write("Stand-in stopped.")

    def wait(self) -> None:
        """Block until interrupted (tests replace this)."""
        threading.Event().wait()
