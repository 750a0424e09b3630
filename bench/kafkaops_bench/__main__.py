"""`python -m kafkaops_bench bench|chaos|p7 [--only P1,P3] [--runs N]` (the Makefile's entry points)."""

from __future__ import annotations

import argparse
import sys
import time
import traceback

from . import lab, perf, planner, report, topics
from .stats import fmt, mmm

# P4 last: it recreates the lab, and for several minutes after a cold deploy the brokers
# answer more slowly (P1 1,745-1,954 req/s right after one, 3,141-3,912 on a lab up 10+ min).
# P7 needs no lab: it plans reassignments of synthetic clusters.
BENCHES = ("P7", "P1", "P2", "P3", "P5", "P6", "P8", "P4")
# Benchmarks that need no /send warm-up first: P4 recreates the lab, P7 needs no lab, P8 runs Ansible only.
NO_WARMUP = {"P4", "P7", "P8"}
# R1k right after R1: the same broker kill, clients retrying under an Idempotency-Key.
CHECKS = ("R1", "R1k", "R2", "R3", "R4", "R5")


def bench_row(r: dict) -> list[str]:
    if "error" in r:
        return [r["id"], r.get("measure", ""), r.get("goal", ""), "error", r["error"][:120], "FAIL"]
    raw = {
        "P1": lambda: f"/send {mmm(r['send_req_s'], 0)} req/s; /healthz {mmm(r['healthz_req_s'], 0)} req/s",
        "P2": lambda: f"batch {mmm(r['batch_msg_s'], 0)} msg/s; ProducerPerformance {mmm(r['perf_msg_s'], 0)} msg/s",
        "P3": lambda: (
            f"app p50 {mmm(r['app_p50_ms'], 1)} ms, p99 {mmm(r['app_p99_ms'], 1)} ms"
            f" (/send answered: p99 {mmm(r['send_p99_ms'], 1)} ms); "
            f"EndToEndLatency p50 {mmm(r['e2e_p50_ms'], 1)} ms, p99 {mmm(r['e2e_p99_ms'], 1)} ms; "
            f"p50 ratio {mmm(r['ratio_p50'])}"
        ),
        "P4": lambda: f"cold {mmm(r['cold_s'], 0)} s; no-op {mmm(r['noop_s'], 0)} s, changed={r['noop_changed']}",
        "P5": lambda: (
            f"RSS {fmt(r['rss_small_mib'], 1)} -> {fmt(r['rss_large_mib'], 1)} MiB (peak {fmt(r['rss_peak_mib'], 1)});"
            f" consumed {fmt(r['consume_msg_s'], 0)} msg/s"
        ),
        "P6": lambda: f"keyed {mmm(r['keyed_s'], 1)} s; any /send {mmm(r['any_s'], 1)} s",
        "P8": lambda: (
            f"first apply {mmm(r['first_s'], 1, ' s')}; no-op {mmm(r['noop_s'], 1, ' s')},"
            f" changed={r['noop_changed']}; old per-topic loop {mmm(r['old_s'], 1, ' s')}"
        ),
        "P7": lambda: f"plan {mmm(r['plan_s'], 2)} s; moved ÷ lower bound {r['ratio_goal']:.4f}",
    }[r["id"]]()
    if r["id"] == "P7":
        return [r["id"], r["measure"], r["goal"], mmm(r["plan_s"], 2, " s"), raw, "pass" if r["pass"] else "MISS"]
    unit = {"P5": " MiB", "P6": " s"}.get(r["id"], "")
    return [r["id"], r["measure"], r["goal"], mmm(r["ratio"], 2, unit), raw, "pass" if r["pass"] else "MISS"]


def run_bench(args: argparse.Namespace) -> int:
    meta = report.header("bench")
    if set(args.only) - {"P7"}:
        lab.ensure_up()
    if args.producer_env:
        # Compare app settings without a redeploy, e.g. ACCESS_LOG=true for the "before" figures.
        meta["producer_env"] = dict(kv.split("=", 1) for kv in args.producer_env.split(","))
        lab.app_env(lab.PRODUCER_UNIT, meta["producer_env"], 8001)
    try:
        results = bench_all(args)
    finally:
        if args.producer_env:
            lab.app_env(lab.PRODUCER_UNIT, None, 8001)
    head = ["#", "Measure", "Goal", "Result: median (min–max)", "Raw figures", ""]
    text = report.table([bench_row(r) for r in results], head)
    text += "".join("\n\nP7 per shape:\n\n" + planner.table(r) for r in results if r["id"] == "P7" and "rows" in r)
    path = report.write(args.tag or "bench", meta, results, text)
    print(path.read_text())
    return 0


def bench_all(args: argparse.Namespace) -> list[dict]:
    results = []
    if args.warmup and set(args.only) - NO_WARMUP:
        # A lab deployed minutes ago is still slow (JIT on 2 shared cores): P3's p99 fell from
        # 211 to 26 ms over five runs on a fresh lab. Sustained load first levels that out.
        print(f"== warm-up: /send load for {args.warmup} s", flush=True)
        perf.warm_up(args.warmup)
    for name in [b for b in BENCHES if b in args.only]:
        print(f"== {name}", flush=True)
        t0 = time.monotonic()
        try:
            if name == "P1":
                res = perf.p1_send_vs_healthz(args.runs, args.seconds)
            elif name == "P2":
                res = perf.p2_batch_vs_perf(args.runs, args.seconds)
            elif name == "P3":
                res = perf.p3_latency(args.runs, seconds=args.seconds * 2)
            elif name == "P4":
                res = perf.p4_deploy(args.cold_runs, args.runs)
            elif name == "P5":
                res = perf.p5_memory(large=args.p5_messages)
            elif name == "P8":
                res = topics.p8_topics(args.p8_topics, args.runs, old_loop=not args.p8_skip_old, keep=args.p8_keep)
            elif name == "P7":
                res = planner.p7(args.runs)
            else:
                res = perf.p6_failover(args.runs)
        except Exception as exc:  # noqa: BLE001 - one failed benchmark must not hide the others
            traceback.print_exc()
            res = {"id": name, "error": f"{type(exc).__name__}: {exc}"}
            lab.restore_brokers()
        res["seconds"] = round(time.monotonic() - t0, 1)
        print("   ", " | ".join(bench_row(res)), flush=True)
        results.append(res)
    return results


def run_chaos(args: argparse.Namespace) -> int:
    from . import chaos  # imported late: needs bench/ackload.py, only for `chaos`

    meta = report.header("chaos")
    lab.ensure_up()
    results = []
    for name in [c for c in CHECKS if c.upper() in args.only]:
        print(f"== {name}", flush=True)
        t0 = time.monotonic()
        try:
            res = getattr(chaos, name.lower())(args)
        except Exception as exc:  # noqa: BLE001 - report the failure and go on with the next check
            traceback.print_exc()
            res = {"id": name, "check": "", "pass": False, "figures": f"error: {type(exc).__name__}: {exc}"}
            lab.restore_brokers()
        res["seconds"] = round(time.monotonic() - t0, 1)
        print(f"    {name}: {'PASS' if res['pass'] else 'FAIL'}  {res['figures']}", flush=True)
        results.append(res)
    rows = [[r["id"], r["check"], r["figures"], "pass" if r["pass"] else "FAIL"] for r in results]
    path = report.write(args.tag or "chaos", meta, results, report.table(rows, ["#", "Guarantee", "Figures", ""]))
    print(path.read_text())
    return 0 if all(r["pass"] for r in results) else 1


def run_p7(args: argparse.Namespace) -> int:
    """P7 alone, no lab: its growth-curve table, one line per synthetic cluster."""
    meta = report.header("p7")
    t0 = time.monotonic()
    res = planner.p7(args.runs, args.baseline_up_to)
    res["seconds"] = round(time.monotonic() - t0, 1)
    summary = report.table([bench_row(res)], ["#", "Measure", "Goal", "Result", "Raw figures", ""])
    path = report.write(args.tag or "p7", meta, [res], summary + "\n\n" + planner.table(res))
    print(path.read_text())
    return 0 if res["pass"] else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kafkaops_bench", description=__doc__)
    parser.add_argument("what", choices=("bench", "chaos", "p7"))
    parser.add_argument("--only", default="", help="comma-separated subset, e.g. P1,P3 or R1")
    parser.add_argument("--runs", type=int, default=3, help="repetitions per benchmark (default 3)")
    parser.add_argument("--seconds", type=int, default=10, help="load duration per wrk run (default 10)")
    parser.add_argument("--warmup", type=int, default=120, help="seconds of /send load first (0: none)")
    parser.add_argument("--cold-runs", type=int, default=1, help="P4 cold deploys (each recreates the lab)")
    parser.add_argument("--p5-messages", type=int, default=1_000_000, help="P5 large message count")
    parser.add_argument("--p8-topics", type=int, default=1000, help="P8 topic count (default 1000)")
    parser.add_argument("--p8-skip-old", action="store_true", help="P8 without the old per-topic loop baseline")
    parser.add_argument("--p8-keep", action="store_true", help="leave P8's topics on the lab afterwards")
    parser.add_argument("--rate", type=int, default=100, help="chaos /send load rate, msg/s (default 100)")
    parser.add_argument("--producer-env", default="", help="KEY=VAL,... producer settings for this run only")
    parser.add_argument("--tag", default="", help="results file name (default: bench, chaos or p7)")
    parser.add_argument(
        "--baseline-up-to",
        type=int,
        default=6_000,
        help="P7: partitions up to which the old quadratic planner runs beside (20000: ~20 s more)",
    )
    args = parser.parse_args(argv)
    if args.what == "p7":
        return run_p7(args)
    default = BENCHES if args.what == "bench" else CHECKS
    args.only = [x.strip().upper() for x in args.only.split(",") if x.strip()] or [d.upper() for d in default]
    return run_bench(args) if args.what == "bench" else run_chaos(args)


if __name__ == "__main__":
    sys.exit(main())
