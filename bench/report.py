"""The figures as a readable table, and as JSON under bench-results/ with the machine info."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import time
from pathlib import Path

from bench.config import SERVERS, worker_class

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench-results"
INGEST_TARGET_RATIO, INGEST_TARGET_P99_MS, PIPELINE_TARGET = 0.7, 50.0, 0.7
SURVEY_TARGET_RATIO = 0.5  # the survey response page (d) against one INSERT (b)
MIN_CALLS = 2  # shipment_created, registered customer: the order and the customer


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _mem_gib() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return round(int(line.split()[1]) / 1024 / 1024, 1)
    return 0.0


def _commit() -> str:
    try:
        out = subprocess.run(
            ["git", "describe", "--always", "--dirty"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
        )
        return out.stdout.strip() or "unknown"
    except OSError:
        return "unknown"


def machine() -> dict:
    from importlib.metadata import version

    import django
    import gunicorn

    return {
        "nproc": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "memory_gib": _mem_gib(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "gunicorn": gunicorn.__version__,
        "waitress": version("waitress"),
        "commit": _commit(),
        "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
    }


def _met(ok: bool) -> str:
    return "met" if ok else "MISSED"


def _servers(ingest: dict) -> dict[str, dict]:
    """Figures per web server (a run saved before there were several: gunicorn's alone)."""
    return ingest.get("servers", {"gunicorn": ingest})


def _ms(value: float | None, width: int, digits: int = 1) -> str:
    return f"{'-':>{width}}" if value is None else f"{value:>{width}.{digits}f}"


def _view_lines(figures: dict) -> list[str]:
    lines = []
    for view in figures["views"].values():
        lat = view["latency_ms"] if view["requests"] else {"p50": None, "p99": None}
        rows = "-" if view["rows_total"] is None else str(view["rows_total"])
        lines.append(
            f"  ({view['key']}) {view['label']:<30}{view['rps']:>9.1f}{_ms(lat['p50'], 8)}"
            f"{_ms(lat['p99'], 8)}{_ms(view['server_cpu_ms_per_request'], 9, 2)}"
            f"{view['ok_total']:>8}{view['non_2xx'] + view['socket_errors']:>7}{rows:>8}"
            f"{view['cpu_busy_percent']:>6.0f}"
        )
    c = figures["views"]["c"]
    ratio, p99 = figures["c_over_b"], c["latency_ms"]["p99"]
    lines.append(
        f"  (c)/(b) = {ratio:.2f} (target >= {INGEST_TARGET_RATIO}: "
        f"{_met(ratio >= INGEST_TARGET_RATIO)});  (c)/(a) = {figures['c_over_a']:.2f};  "
        f"p99 (c) = {p99:.1f} ms (target < {INGEST_TARGET_P99_MS:.0f}: "
        f"{_met(p99 < INGEST_TARGET_P99_MS)});  every 200 stored a row: "
        f"{'yes' if figures['every_200_stored'] else 'NO'}"
    )
    survey_ratio = figures.get("d_over_b")
    if survey_ratio is not None:
        lines.append(
            f"  (d)/(b) = {survey_ratio:.2f}, the survey response page (target >= "
            f"{SURVEY_TARGET_RATIO}: {_met(survey_ratio >= SURVEY_TARGET_RATIO)})"
        )
    slow = figures["views"].get("s")
    if slow:
        p99_slow = slow["latency_ms"]["p99"] if slow["requests"] else None
        met = p99_slow is not None and p99_slow < INGEST_TARGET_P99_MS
        lines.append(
            f"  (s) slow clients connected: p99 (s) = {_ms(p99_slow, 0)} ms against (c) "
            f"{p99:.1f} ms (target < {INGEST_TARGET_P99_MS:.0f}: {_met(met)});  "
            f"{slow['ok_total']} answered 2xx;  every 200 stored a row: "
            f"{'yes' if slow['every_2xx_stored'] else 'NO'}"
        )
    return lines


def _ingest_lines(ingest: dict) -> list[str]:
    servers = _servers(ingest)
    lines = []
    for key, figures in servers.items():
        if len(servers) > 1:
            lines.append(f"  {SERVERS.get(key, key)}:")
        lines += _view_lines(figures)
    if "gunicorn" in servers and "waitress" in servers:
        g, w = (servers[k]["views"]["c"] for k in ("gunicorn", "waitress"))
        lines.append(
            f"  waitress against gunicorn sync, receiver (c): {w['rps'] / g['rps']:.2f} x the "
            f"req/s; p99 {w['latency_ms']['p99']:.1f} against {g['latency_ms']['p99']:.1f} ms; "
            f"server CPU {w['server_cpu_ms_per_request']:.2f} against "
            f"{g['server_cpu_ms_per_request']:.2f} ms/req"
        )
    return lines


def _server_shapes(cfg: dict) -> list[str]:
    shapes = {
        "gunicorn": f"{_web_shape(cfg)}; access log on, worker recycling off",
        "waitress": f"{cfg.get('serve_processes', 1)} processes x {cfg.get('serve_threads', 4)} "
        "threads, keep-alive; each request read whole before a thread takes it; access log on",
    }
    servers = cfg.get("servers", ["gunicorn"])
    return [f"        {SERVERS[key]}: {shapes[key]}" for key in servers if key in shapes]


def _percent(fraction: float | None) -> str:
    return f"{fraction:.0%}" if fraction is not None else "-"


def _pipeline_line(p: dict) -> str:
    fraction = p["achieved_fraction"]
    achieved, of_api = _percent(fraction), _percent(p.get("achieved_fraction_of_measured"))
    flag = " (timed out)" if p["timed_out"] else ""
    if p["calls_per_delivery"] != MIN_CALLS:
        flag += f" (calls per delivery above the minimum {MIN_CALLS})"
    return (
        f"  {p['workflows']:>9}{p['deliveries']:>11}{p['deliveries_per_s'] or 0:>9.1f}"
        f"{p['deliveries_per_s_fanned_out'] or 0:>10.1f}{p['runs_per_s'] or 0:>8.1f}"
        f"{p['calls_per_delivery']:>8.2f}{p['io_bound_per_s'] or 0:>8.1f}{achieved:>7} "
        f"{_met((fraction or 0) >= PIPELINE_TARGET):<7}{p.get('api_ms_per_call') or 0:>7.1f}"
        f"{of_api:>7}{p['peak_rss_mib']:>8.0f}"
        f"{p['peak_pss_mib']:>6.0f}{p['cluster_cpu_ms_per_delivery']:>9.1f}"
        f"{p['cpu_busy_percent']:>6.0f}{flag}"
    )


def _web_shape(cfg: dict) -> str:
    threads = cfg["web_threads"]
    if worker_class(threads) == "sync":
        return f"{cfg['web_workers']} sync workers: each closes its connection after the response"
    return f"gthread, {cfg['web_workers']} workers x {threads} threads, keep-alive"


def _heading(key: str, result: dict) -> str:
    if "database" not in result:
        return result.get("topology", key)
    return f"{result['topology']}: {result['database']}; broker {result['broker']}"


def render(report: dict) -> str:
    m, cfg = report["machine"], report["config"]
    threads = cfg["load_threads"] if cfg["load_tool"].startswith("wrk") else cfg["connections"]
    load = (
        f"{cfg['load_tool']}, {cfg['connections']} keep-alive connections, {threads} client threads"
    )
    out = [
        "",
        "=" * 100,
        f"make bench  {m['date']}  commit {m['commit']}",
        f"Machine: {m['nproc']} x {m['cpu_model']}, {m['memory_gib']} GiB, Linux {m['kernel']}, "
        f"Python {m['python']}, Django {m['django']}, gunicorn {m['gunicorn']}, "
        f"waitress {m.get('waitress', '-')}; load average "
        f"at start {' '.join(str(x) for x in m['loadavg_at_start'])}",
        "",
        f"INGEST  {load}; per view a {cfg['warmup']} s warm-up, then {cfg['rounds']} rounds "
        f"of {cfg['seconds']} s interleaving (a), (b), (c) on each server;",
        "        figures from each view's median round. Every server serves all three, DEBUG off, "
        "same database; they take",
        "        turns in each round. srv CPU = CPU of all the server's processes per request;",
        *_server_shapes(cfg),
        "        2xx and rows = totals over the rounds (rows stored >= 2xx answered); CPU% = whole "
        "machine, load generator included",
        f"  {'':<34}{'req/s':>9}{'p50 ms':>8}{'p99 ms':>8}{'srv CPU':>9}{'2xx':>8}{'errors':>7}"
        f"{'rows':>8}{'CPU%':>6}",
    ]
    for key, result in report["results"].items():
        out.append(f" {_heading(key, result)}")
        if "ingest" in result:
            out += _ingest_lines(result["ingest"])
        else:
            out.append(f"  skipped: {result.get('skipped') or result.get('error')}")
    out += [
        "",
        f"PIPELINE  stand-in adds {cfg['latency_ms']} ms per BigCommerce call; W = {cfg['workers']}"
        f" cluster workers; steps: {cfg['steps']}",
        "          I/O bound = W / (calls per delivery x latency); deliveries/s counts a delivery "
        "drained when its runs have finished;",
        "          api ms = the stand-in's measured time per call; of api = deliveries/s against "
        "W / (calls x api ms)",
        f"  {'workflows':>9}{'deliveries':>11}{'deliv/s':>9}{'fanned/s':>10}{'runs/s':>8}"
        f"{'calls':>8}{'bound/s':>8}{'achvd':>7} {'target':<7}{'api ms':>7}{'of api':>7}"
        f"{'RSS MiB':>8}{'PSS':>6}"
        f"{'CPU ms':>9}{'CPU%':>6}",
    ]
    for key, result in report["results"].items():
        out.append(f" {result.get('topology', key)}")
        if "pipeline" in result:
            out += [_pipeline_line(p) for p in result["pipeline"]]
        else:
            out.append(f"  skipped: {result.get('skipped') or result.get('error')}")
        if "event_data" in result:
            data = result["event_data"]
            out.append(
                f"  every extra code ({data['steps']}): {data['calls_per_delivery']:.2f} calls "
                f"per delivery over {data['deliveries']} deliveries"
            )
    out += _scale_lines(report["results"])
    out += _budget_lines(report)
    out += [
        "  calls = BigCommerce calls per delivery (stand-in count; minimum for shipment_created "
        "with a registered customer: 2)",
        "  RSS = peak of the summed RSS of every cluster process (sampled every 0.2 s); PSS "
        "counts shared pages once",
        "  CPU ms = cluster CPU time per delivery (all its processes); CPU% = whole machine",
        "=" * 100,
    ]
    return "\n".join(out)


LATENCY_TARGET_S, GROWTH_TARGET = 1.0, 0.9


def _latency_lines(lat: dict) -> list[str]:
    cap = lat["capacity"]
    lines = [
        f"  latency, 200 -> email handed to the backend (signal: {lat['signal']}); drain "
        f"capacity {cap['per_s']}/s ({cap['emails']} of {cap['deliveries']} emails)"
    ]
    for label, s in lat.get("steady", {}).items():
        p99 = s.get("p99_s")
        met = _met(p99 is not None and p99 < LATENCY_TARGET_S)
        lines.append(
            f"    {label:<10} at {s['rate_per_s']}/s: p50 {s.get('p50_s')} s, p90 "
            f"{s.get('p90_s')} s, p99 {p99} s (target < {LATENCY_TARGET_S:.0f} s: {met}), max "
            f"{s.get('max_s')} s; {s['emails']} emails of {s['sent']} sent"
        )
    return lines


def _memory_lines(mem: dict) -> list[str]:
    snaps = mem["snapshots"]
    lines = [f"  memory, {mem['deliveries']} deliveries, workers never recycled:"]
    for snap in snaps.values():
        lines.append(
            f"    after {snap['processed']:>6}: workers' RSS {snap['workers_rss_mib']} MiB "
            f"({', '.join(str(x) for x in snap['worker_rss_mib'])}); all "
            f"{snap['processes']} processes {snap['all_rss_mib']} MiB"
        )
    if "kib_per_delivery" in mem:
        lines.append(
            f"    growth {mem['workers_growth_mib']} MiB = {mem['kib_per_delivery']} KiB per "
            f"delivery; peak RSS per worker {mem['peak_worker_rss_mib']} MiB"
        )
    return lines


def _periodic_lines(per: dict) -> list[str]:
    pop = per["population"]
    lines = [
        f"  periodic jobs, {pop['subscriptions']:,} subscriptions over {pop['stores']:,} stores "
        f"({pop['stuck_deliveries']} stuck deliveries and runs, {pop['old_deliveries']} past "
        "retention):"
    ]
    for p in per["passes"]:
        within = p["max_calls_per_store"] <= p["call_budget_per_store"]
        lines.append(
            f"    {p['pass']:<36} {p['queries']:>5} queries {p['seconds']:>7.2f} s "
            f"{p['bigcommerce_calls']:>6} calls, at most {p['max_calls_per_store']} per store "
            f"(budget {p['call_budget_per_store']}: {_met(within)}); {p['enqueued']} queued"
        )
    return lines


def _growth_lines(grown: dict) -> list[str]:
    load = grown["load"]
    lines = [
        f"  growth: {load['rows']:,} deliveries, runs and step results, {load['sent_emails']:,} "
        f"sent emails loaded (COPY) in {sum(load['seconds'].values()):.0f} s; sizes "
        + ", ".join(f"{t.split('_', 1)[1]} {size}" for t, size in grown["sizes"].items())
    ]
    for name, ratio in grown.get("ratios", {}).items():
        ok = ratio is not None and ratio >= GROWTH_TARGET
        lines.append(f"    {name}: {ratio} x empty (target >= {GROWTH_TARGET}: {_met(ok)})")
    for name, statements in grown.get("plans", {}).items():
        if name.startswith("_"):
            continue
        used = sorted({i for s in statements for i in s["indexes"]})
        seq = sorted({t for s in statements for t in s["seq_scans"]})
        lines.append(
            f"    plan of {name}: indexes {', '.join(used) or '-'}"
            + (f"; SEQ SCAN of {', '.join(seq)}" if seq else "")
        )
    return lines


def _scale_lines(results: dict) -> list[str]:
    out = ["", "SCALE  latency, memory, periodic jobs, growth"]
    for key, result in results.items():
        parts = [p for p in ("latency", "memory", "periodic", "growth") if p in result]
        if not parts:
            continue
        out.append(f" {result.get('topology', key)}")
        if result.get("error"):
            out.append(f"  stopped: {result['error']} (the parts it finished follow)")
        if "latency" in result:
            out += _latency_lines(result["latency"])
        if "memory" in result:
            out += _memory_lines(result["memory"])
        if "periodic" in result:
            out += _periodic_lines(result["periodic"])
        if "growth" in result:
            out += _growth_lines(result["growth"])
    return out


def _budget_lines(report: dict) -> list[str]:
    found = {k: r["api_budget"] for k, r in report["results"].items() if "api_budget" in r}
    if not found:
        return []
    first = next(iter(found.values()))
    out = [
        "",
        f"API BUDGET  {first['deliveries']} deliveries at once against a quota of "
        f"{first['quota']} requests per {first['window_ms']} ms, another app of the store "
        f"sending {first['other_app_per_window']} per window",
        f"  {'share':>7}{'ours/window':>12}{'max seen':>9}{'429 to us':>10}{'other refused':>14}"
        f"{'calls':>7}{'seconds':>8}{'attempts':>9}  deliveries",
    ]
    for key, budget in found.items():
        out.append(f" {report['results'][key].get('topology', key)}")
        for r in budget["shares"]:
            statuses = ", ".join(f"{n} {s}" for s, n in sorted(r["delivery_statuses"].items()))
            flag = " (timed out)" if r["timed_out"] else ""
            out.append(
                f"  {r['share_percent']:>6}%{r['our_allowance_per_window']:>12}"
                f"{r['our_max_per_window']:>9}{r['refused_429_to_us']:>10}"
                f"{r['other_app_refused']:>8} of {r['other_app_sent']:<3}{r['our_calls']:>7}"
                f"{r['fanout_seconds'] or 0:>8.1f}{r['attempts_max']:>9}  {statuses}{flag}"
            )
    out.append(
        "  max seen = the most of our requests the stand-in served in one window; attempts = "
        "the most any delivery spent (a wait is not one)"
    )
    return out


def save(report: dict) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / time.strftime("bench-%Y%m%d-%H%M%S.json")
    text = json.dumps(report, indent=2)
    path.write_text(text)
    (RESULTS / "latest.json").write_text(text)
    return path
