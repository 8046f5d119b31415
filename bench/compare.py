"""Two checkouts of iqtrack under the same load, endpoint by endpoint, taking turns.

    .venv/bin/python bench/compare.py --old ../iqtrack-before --new . [--only "ACH,Board"]

Each checkout needs its own virtualenv (`.venv`, with the `bench` extra) and its static files
collected (`manage.py collectstatic`). Both are served at once by gunicorn (2 sync workers,
every answer made afresh: RESPONSE_CACHE_SECONDS=0) over the benchmark database, which
`make bench` made; only one is loaded at a time. For each endpoint, after a warm-up of each,
wrk (8 connections) loads them in turn, `--rounds` times each, the order swapped every round,
and the means are printed as one JSON line per endpoint.

Why: on a shared machine a full run's figures drift by a tenth or more over its 20 minutes
(bench/README.md, Session 14), more than most changes move them. Taking turns endpoint by
endpoint, a few seconds apart, puts the two versions in the same conditions. RESULTS.md is
still written by `make bench` alone; this is for comparing two versions.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import run  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--old", type=Path, required=True, help="the checkout to compare with")
    parser.add_argument("--new", type=Path, default=ROOT)
    parser.add_argument("--only", default="", help="comma-separated starts of endpoint names")
    parser.add_argument("--seconds", type=float, default=4.0, help="each load, in seconds")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args(argv)

    env = run.bench_env(run.parse_args([]))
    env["RESPONSE_CACHE_SECONDS"] = "0"
    os.environ.update(env)
    import django

    django.setup()
    ids = run.subjects()
    sides = {"old": (args.old.resolve(), 8941), "new": (args.new.resolve(), 8942)}
    servers = {
        name: run.gunicorn("iqtrack.wsgi", port, env, 2, checkout=path)
        for name, (path, port) in sides.items()
    }
    try:
        for name, (_path, port) in sides.items():
            run.wait_until_up(f"http://127.0.0.1:{port}/healthz", servers[name])
        headers = {
            "API": {"Authorization": "Token " + ids["token"]},
            "page": {"Cookie": f"sessionid={ids['session']}; csrftoken={run.CSRF_SECRET}"},
        }
        wanted = [name.strip().lower() for name in args.only.split(",") if name.strip()]
        cost = {"old": 0.0, "new": 0.0}
        for endpoint in run.endpoints(ids):
            label = f"{endpoint.name} [{endpoint.kind}]"
            if wanted and not any(label.lower().startswith(name) for name in wanted):
                continue
            given = headers[endpoint.kind]
            urls = {
                name: f"http://127.0.0.1:{port}{endpoint.path}" for name, (_, port) in sides.items()
            }
            for url in urls.values():
                run.check_answers(url, given)
                run.wrk(url, given, seconds=2, connections=8, threads=2)
            loads = {"old": [], "new": []}
            for turn in range(args.rounds):
                for name in ("old", "new") if turn % 2 == 0 else ("new", "old"):
                    loads[name].append(
                        run.wrk(urls[name], given, seconds=args.seconds, connections=8, threads=2)
                    )
            line = {"endpoint": label}
            for name, measured in loads.items():
                rps = statistics.mean(load.rps for load in measured)
                line[f"{name}_p95_ms"] = round(statistics.mean(lo.p95_ms for lo in measured), 1)
                line[f"{name}_req_s"] = round(rps, 1)
                cost[name] += 1000 / rps
            print(json.dumps(line, ensure_ascii=False), flush=True)
        # One request's cost to the two workers (1 / throughput), summed over the endpoints.
        print(json.dumps({f"{name}_sum_ms": round(total, 1) for name, total in cost.items()}))
    finally:
        for server in servers.values():
            run.stop(server)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
