"""The shared API budget: how many requests this app may send a store in BigCommerce's window.

BigCommerce gives each store a quota of requests per window (``X-Rate-Limit-Requests-Quota``
per ``X-Rate-Limit-Time-Window-Ms``) that all of the store's apps share. Every worker of every
node takes a slot from one ledger per store before each request (:func:`acquire`) and tells it
what each reply's headers said (:func:`observe`), so that together they send at most
``BIGCOMMERCE_API_SHARE`` percent of the quota in any window. The ledger is a Redis hash
(updated by Lua scripts, atomically) when ``REDIS_URL`` is set, an ``ApiBudget`` row per store
otherwise (conditional UPDATEs: ``used = used + 1 WHERE used < allowance``).

Windows follow the store's: a reply's reset time says when BigCommerce's window ends, and ours
is moved to match (the estimate is never early, as the reply took time to arrive), then rolls
on by whole windows. A reply saying no request is left closes our window too: the store's
other apps may have spent it (a 429 has its own wait: the delivery is rescheduled). Until a
reply has told us the quota, slots are counted but not refused (a BigCommerce reply always
says it; a server that never does is not limited).

A client uses the budget when given one (``BigCommerceClient(api_budget=SHARED)``, as
``authentications.client_for`` does); a bare client, in a script or a unit test, does not.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.db.models import F
from redis.exceptions import RedisError

from .headers import RateLimit

logger = logging.getLogger(__name__)

DEFAULT_WINDOW_MS = 30_000  # BigCommerce's window, until a reply says otherwise
DEFAULT_SHARE_PERCENT = 50.0
# A reply's window end further from ours than this moves ours (replies take time to arrive).
ALIGN_TOLERANCE_MS = 250
# The last milliseconds of a window grant nothing: a request sent then could reach BigCommerce
# in its next window, which we would not have counted it in.
EDGE_MS = 250
CAS_ATTEMPTS = 8  # conditional updates lost to other workers before we give up for now
KEY_PREFIX = "bigcommerce:api-budget:"
KEY_TTL_SECONDS = 7 * 86400  # a store not called for a week starts afresh


def valid_share_percent(raw) -> bool:
    """Whether `raw` is a percentage in (0, 100] (the system check refuses anything else)."""
    try:
        value = float(raw)
    except (TypeError, ValueError):
        return False
    return math.isfinite(value) and 0 < value <= 100


def share() -> float:
    """``BIGCOMMERCE_API_SHARE`` as a fraction in (0, 1]. Start-up refuses a bad value
    (``integrations.E004``); one set later by hand reads as the default, or 100% above it."""
    raw = getattr(settings, "BIGCOMMERCE_API_SHARE", DEFAULT_SHARE_PERCENT)
    try:
        value = float(raw)
    except (TypeError, ValueError):
        value = DEFAULT_SHARE_PERCENT
    if not math.isfinite(value) or value <= 0:
        value = DEFAULT_SHARE_PERCENT
    return min(value, 100.0) / 100.0


def allowance(quota: int, fraction: float) -> int:
    """Our requests per window: the share of the quota, at least one."""
    return max(1, math.floor(quota * fraction))


def next_end(ends: int, window_ms: int, at_ms: int) -> int:
    """When the window after the one that ended at `ends` (0: none yet) ends, seen at `at_ms`:
    the store's windows follow each other, so ours roll on by whole windows."""
    if not ends:
        return at_ms + window_ms
    return ends + ((at_ms - ends) // window_ms + 1) * window_ms


def now_ms() -> int:
    return int(time.time() * 1000)


@dataclass(frozen=True)
class Grant:
    """The ledger's answer: slots taken or not, and the milliseconds until the window ends
    (when to ask again, or how long the slots may be used)."""

    granted: bool
    left_ms: int
    limited: bool  # the quota is known (else the slots were counted, not checked)

    @property
    def seconds(self) -> float:
        return max(self.left_ms, 1) / 1000


@dataclass(frozen=True)
class Observation:
    """What one reply says, in the ledger's units (None: not said)."""

    quota: int | None
    window_ms: int | None
    end_ms: int | None  # when the store's window ends, by our clock
    exhausted: bool  # a served reply said nothing is left in this window

    @classmethod
    def of(cls, limits: RateLimit, at_ms: int, *, rejected: bool = False) -> Observation:
        window_ms = round(limits.window * 1000) if limits.window else None
        end_ms = None
        if limits.reset_after:  # a window can't end later than one window from now
            reset = min(limits.reset_after, limits.window or limits.reset_after)
            end_ms = at_ms + round(reset * 1000)
        quota = limits.requests_quota or None
        # A 429 is waited out by its own path (the delivery is rescheduled past the reset);
        # a served reply with none left tells us the store's other apps spent the window.
        return cls(quota, window_ms, end_ms, not rejected and limits.requests_left == 0)


# --- Redis ----------------------------------------------------------------------------------

# KEYS[1] the store's hash; ARGV: now ms, share, default window ms, ttl s, slots wanted,
# edge ms. Returns {granted (0/1), the milliseconds until the window ends, limited (0/1)}.
ACQUIRE_LUA = """
local now = tonumber(ARGV[1])
local s = redis.call('HMGET', KEYS[1], 'quota', 'window_ms', 'end_ms', 'used', 'closed')
local quota = tonumber(s[1])
local window = tonumber(s[2]) or tonumber(ARGV[3])
local ends = tonumber(s[3])
local used = tonumber(s[4]) or 0
local closed = tonumber(s[5]) or 0
local want = tonumber(ARGV[5])
if ends == nil or ends <= now then
  if ends == nil then ends = now + window
  else ends = ends + (math.floor((now - ends) / window) + 1) * window end
  used = 0
  closed = 0
end
local granted = 1
local limited = 0
if quota == nil then want = 1 end
if closed == 1 then granted = 0
elseif quota ~= nil then
  limited = 1
  local allowed = math.max(1, math.floor(quota * tonumber(ARGV[2])))
  want = math.min(want, allowed)
  if used + want > allowed or ends - now <= tonumber(ARGV[6]) then granted = 0 end
end
if granted == 1 then used = used + want end
redis.call('HSET', KEYS[1], 'window_ms', window, 'end_ms', ends, 'used', used, 'closed', closed)
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[4]))
return {granted, ends - now, limited}
"""

# KEYS[1]; ARGV: now ms, quota, window ms, end ms (each "" when not said), exhausted (0/1),
# tolerance ms, ttl s.
OBSERVE_LUA = """
local now = tonumber(ARGV[1])
if ARGV[2] ~= '' then redis.call('HSET', KEYS[1], 'quota', ARGV[2]) end
if ARGV[3] ~= '' then redis.call('HSET', KEYS[1], 'window_ms', ARGV[3]) end
local seen = tonumber(ARGV[4])
if seen ~= nil and seen > now then
  local ends = tonumber(redis.call('HGET', KEYS[1], 'end_ms'))
  if ends == nil or ends <= now then
    redis.call('HSET', KEYS[1], 'end_ms', seen, 'used', 0, 'closed', 0)
  elseif math.abs(seen - ends) > tonumber(ARGV[6]) then
    redis.call('HSET', KEYS[1], 'end_ms', seen)
  end
  if ARGV[5] == '1' then redis.call('HSET', KEYS[1], 'closed', 1) end
end
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[7]))
return 0
"""


class RedisLedger:
    """The budget in Redis: one hash per store, changed only by the two scripts above."""

    def __init__(self, url: str) -> None:
        import redis

        self._redis = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        self._acquire = self._redis.register_script(ACQUIRE_LUA)
        self._observe = self._redis.register_script(OBSERVE_LUA)

    def acquire(self, store_hash: str, fraction: float, at_ms: int, count: int = 1) -> Grant:
        args = [at_ms, repr(fraction), DEFAULT_WINDOW_MS, KEY_TTL_SECONDS, count, EDGE_MS]
        granted, left_ms, limited = self._acquire(keys=[KEY_PREFIX + store_hash], args=args)
        return Grant(bool(granted), int(left_ms), bool(limited))

    def observe(self, store_hash: str, seen: Observation, at_ms: int) -> None:
        def text(value: int | None) -> str:
            return "" if value is None else str(value)

        args = [
            at_ms,
            text(seen.quota),
            text(seen.window_ms),
            text(seen.end_ms),
            int(seen.exhausted),
            ALIGN_TOLERANCE_MS,
            KEY_TTL_SECONDS,
        ]
        self._observe(keys=[KEY_PREFIX + store_hash], args=args)

    def forget(self, store_hash: str) -> None:
        self._redis.delete(KEY_PREFIX + store_hash)


# --- The database ---------------------------------------------------------------------------


class DatabaseLedger:
    """The budget in the database: an ``ApiBudget`` row per store, changed only by conditional
    UPDATEs (compare and set), so concurrent workers on any node never both take the last slot.
    Each process remembers the row as it last saw it: the usual slot costs one UPDATE."""

    def __init__(self) -> None:
        self._seen: dict[str, dict] = {}
        self._lock = threading.Lock()

    def _rows(self):
        from integrations.models import ApiBudget

        return ApiBudget.objects

    def _read(self, store_hash: str) -> dict:
        fields = ("quota", "window_ms", "end_ms", "used", "closed")
        row = self._rows().filter(store_hash=store_hash).values(*fields).first()
        if row is None:
            self._rows().get_or_create(store_hash=store_hash)  # safe if another worker races
            row = self._rows().filter(store_hash=store_hash).values(*fields).get()
        with self._lock:
            self._seen[store_hash] = row
        return row

    def acquire(self, store_hash: str, fraction: float, at_ms: int, count: int = 1) -> Grant:
        with self._lock:
            row = self._seen.get(store_hash)
        for _ in range(CAS_ATTEMPTS):
            if row is None:
                row = self._read(store_hash)
            if row["end_ms"] <= at_ms:  # a new window: whoever rolls it first starts it empty
                ends = next_end(row["end_ms"], row["window_ms"] or DEFAULT_WINDOW_MS, at_ms)
                rolled = self._rows().filter(store_hash=store_hash, end_ms=row["end_ms"])
                if rolled.update(end_ms=ends, used=0, closed=False):
                    row = {**row, "end_ms": ends, "used": 0, "closed": False}
                else:
                    row = None  # another worker rolled it first: read it again
                continue
            allowed = None if row["quota"] is None else allowance(row["quota"], fraction)
            want = 1 if allowed is None else min(count, allowed)
            left = row["end_ms"] - at_ms
            full = allowed is not None and (row["used"] + want > allowed or left <= EDGE_MS)
            if row["closed"] or full:
                fresh = self._read(store_hash)
                if fresh == row:
                    return Grant(False, left, allowed is not None)
                row = fresh  # changed meanwhile (a reply, a new window): decide again
                continue
            # Compare and set: the row as read (so the allowance is still the right one), and
            # room for `want` more.
            current = self._rows().filter(
                store_hash=store_hash, end_ms=row["end_ms"], closed=False, quota=row["quota"]
            )
            if allowed is not None:
                current = current.filter(used__lte=allowed - want)
            if current.update(used=F("used") + want):
                self._remember(store_hash, row, used=row["used"] + want)
                return Grant(True, left, allowed is not None)
            row = None  # someone else changed it: read it again
        return Grant(False, EDGE_MS, True)  # lost every race: try again in a moment

    def _remember(self, store_hash: str, row: dict, **changes) -> None:
        with self._lock:
            self._seen[store_hash] = {**row, **changes}

    def observe(self, store_hash: str, seen: Observation, at_ms: int) -> None:
        with self._lock:
            row = self._seen.get(store_hash)
        if row is None:
            row = self._read(store_hash)
        limits: dict = {}
        if seen.quota is not None and seen.quota != row["quota"]:
            limits["quota"] = seen.quota
        if seen.window_ms is not None and seen.window_ms != row["window_ms"]:
            limits["window_ms"] = seen.window_ms
        window: dict = {}
        if seen.end_ms is not None and seen.end_ms > at_ms:
            if row["end_ms"] <= at_ms:
                window.update(end_ms=seen.end_ms, used=0, closed=False)
            elif abs(seen.end_ms - row["end_ms"]) > ALIGN_TOLERANCE_MS:
                window["end_ms"] = seen.end_ms
            if seen.exhausted and not row["closed"]:
                window["closed"] = True
        rows = self._rows().filter(store_hash=store_hash)
        # The window only as read: had another worker rolled it meanwhile, its count stands
        # (the next reply aligns it).
        if window and rows.filter(end_ms=row["end_ms"]).update(**window, **limits):
            limits = {}
        if limits:
            rows.update(**limits)
        if window or limits:
            with self._lock:
                self._seen.pop(store_hash, None)  # read it afresh next time

    def forget(self, store_hash: str) -> None:
        self._rows().filter(store_hash=store_hash).delete()
        with self._lock:
            self._seen.pop(store_hash, None)


@cache
def _ledger_for(redis_url: str) -> RedisLedger | DatabaseLedger:
    return RedisLedger(redis_url) if redis_url else DatabaseLedger()


def ledger() -> RedisLedger | DatabaseLedger:
    """The ledger every client of this process uses: Redis when configured, else the database."""
    return _ledger_for(getattr(settings, "REDIS_URL", "") or "")


class SharedBudget:
    """What a client calls: a given ledger, or the one of this process's settings."""

    def __init__(self, ledger: RedisLedger | DatabaseLedger | None = None) -> None:
        self._ledger = ledger

    def ledger(self) -> RedisLedger | DatabaseLedger:
        return self._ledger or ledger()

    def acquire(self, store_hash: str, count: int = 1) -> Grant:
        """Take `count` requests' slots of the store's budget, all or none (never more than
        the allowance: a bigger count takes all of it). While the quota is unknown, one slot
        is counted and none is checked (`Grant.limited` is false). A Redis that can't be
        reached grants unchecked, as an unknown quota does: the budget is our courtesy to the
        store's other apps, and BigCommerce's own 429 still stops us."""
        try:
            return self.ledger().acquire(store_hash, share(), now_ms(), max(1, int(count)))
        except RedisError as exc:
            logger.warning("API budget not checked (Redis unreachable): %s", exc)
            return Grant(granted=True, left_ms=0, limited=False)

    def observe(self, store_hash: str, limits: RateLimit, *, rejected: bool = False) -> None:
        """Tell the ledger what a reply's rate-limit headers said (``rejected``: a 429)."""
        at = now_ms()
        seen = Observation.of(limits, at, rejected=rejected)
        if seen.quota is None and seen.window_ms is None and seen.end_ms is None:
            return
        try:
            self.ledger().observe(store_hash, seen, at)
        except RedisError as exc:
            logger.warning("API budget not updated (Redis unreachable): %s", exc)


SHARED = SharedBudget()
