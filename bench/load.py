"""Load generators: wrk when installed, else Python threads, at fixed concurrency.

A measurement is made of slices: the scenarios of a group run one slice each in turn, for
several rounds, so a noisy neighbour hits the reference and the target alike. Requests/s is the
total over the slices; p50/p95/p99 (ms) are the medians of the slices' percentiles under wrk,
exact percentiles of every request under the Python generator.
"""

from __future__ import annotations

import dataclasses
import http.client
import json
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from pathlib import Path

WRK_SCRIPT = r"""
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) c3 = 0; c4 = 0; c5 = 0 end
function response(status, headers, body)
  if status >= 500 then c5 = c5 + 1
  elseif status >= 400 then c4 = c4 + 1
  elseif status >= 300 then c3 = c3 + 1 end
end
function done(summary, latency, requests)
  local t3, t4, t5 = 0, 0, 0
  for _, t in ipairs(threads) do
    t3 = t3 + t:get("c3"); t4 = t4 + t:get("c4"); t5 = t5 + t:get("c5")
  end
  io.write(string.format(
    'BENCH {"requests": %d, "duration_us": %d, "socket_errors": %d, "c3": %d, "c4": %d, '
    .. '"c5": %d, "p50": %d, "p95": %d, "p99": %d}\n',
    summary.requests, summary.duration,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    t3, t4, t5, latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""


@dataclasses.dataclass
class Target:
    name: str
    path: str
    headers: dict[str, str] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class Slice:
    requests: int
    seconds: float
    c3: int
    c4: int
    c5: int
    socket_errors: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    latencies_ms: list[float] | None = None


@dataclasses.dataclass
class Measurement:
    name: str
    slices: list[Slice] = dataclasses.field(default_factory=list)

    def summary(self) -> dict[str, float | int]:
        requests = sum(s.requests for s in self.slices)
        seconds = sum(s.seconds for s in self.slices)
        every = [ms for s in self.slices for ms in (s.latencies_ms or [])]
        if every:
            p50, p95, p99 = percentiles(every, (50, 95, 99))
        else:
            p50 = statistics.median(s.p50_ms for s in self.slices)
            p95 = statistics.median(s.p95_ms for s in self.slices)
            p99 = statistics.median(s.p99_ms for s in self.slices)
        return {
            "requests": requests,
            "seconds": round(seconds, 2),
            "rps": round(requests / seconds, 1) if seconds else 0.0,
            "p50_ms": round(p50, 2),
            "p95_ms": round(p95, 2),
            "p99_ms": round(p99, 2),
            "non_2xx": sum(s.c3 + s.c4 + s.c5 for s in self.slices),
            "errors_4xx": sum(s.c4 for s in self.slices),
            "errors_5xx": sum(s.c5 for s in self.slices),
            "socket_errors": sum(s.socket_errors for s in self.slices),
            "slices": [
                {
                    "rps": round(s.requests / s.seconds, 1) if s.seconds else 0.0,
                    "p50_ms": round(s.p50_ms, 2),
                    "p95_ms": round(s.p95_ms, 2),
                }
                for s in self.slices
            ],
        }


def percentiles(values: list[float], points: tuple[int, ...]) -> list[float]:
    ordered = sorted(values)
    if not ordered:
        return [0.0 for _ in points]
    return [ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))] for p in points]


def wrk_path() -> str | None:
    return shutil.which("wrk")


class WrkRunner:
    kind = "wrk"

    def __init__(self, *, port: int, concurrency: int) -> None:
        self.port = port
        self.concurrency = concurrency
        self._dir = tempfile.TemporaryDirectory(prefix="bench-wrk-")
        self.script = Path(self._dir.name) / "report.lua"
        self.script.write_text(WRK_SCRIPT)

    def run(self, target: Target, seconds: float) -> Slice:
        command = [
            wrk_path() or "wrk", "-t1", f"-c{self.concurrency}", f"-d{max(1, round(seconds))}s",
            "--timeout", "10s", "-s", str(self.script),
        ]  # fmt: skip
        for name, value in target.headers.items():
            command += ["-H", f"{name}: {value}"]
        command.append(f"http://127.0.0.1:{self.port}{target.path}")
        out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
        line = next(line for line in out.splitlines() if line.startswith("BENCH "))
        data = json.loads(line[len("BENCH ") :])
        return Slice(
            requests=data["requests"],
            seconds=data["duration_us"] / 1e6,
            c3=data["c3"],
            c4=data["c4"],
            c5=data["c5"],
            socket_errors=data["socket_errors"],
            p50_ms=data["p50"] / 1000,
            p95_ms=data["p95"] / 1000,
            p99_ms=data["p99"] / 1000,
        )


def request(
    port: int,
    method: str,
    path: str,
    *,
    headers: dict[str, str] | None = None,
    body: dict | None = None,
    conn: http.client.HTTPConnection | None = None,
) -> tuple[int, dict[str, str], bytes]:
    own = conn is None
    conn = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    payload = json.dumps(body).encode() if body is not None else None
    sent = dict(headers or {})
    if payload is not None:
        sent["Content-Type"] = "application/json"
    conn.request(method, path, body=payload, headers=sent)
    response = conn.getresponse()
    data = response.read()
    result = (response.status, {k.lower(): v for k, v in response.getheaders()}, data)
    if own:
        conn.close()
    return result


class PythonRunner:
    """Threads with keep-alive connections, each sending requests back to back."""

    kind = "python"

    def __init__(self, *, port: int, concurrency: int) -> None:
        self.port = port
        self.concurrency = concurrency

    def run(self, target: Target, seconds: float) -> Slice:
        latencies: list[float] = []
        statuses: list[int] = []
        socket_errors = [0]
        lock = threading.Lock()
        deadline = time.monotonic() + seconds

        def client() -> None:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            mine_latency, mine_status = [], []
            while time.monotonic() < deadline:
                began = time.perf_counter()
                try:
                    status, _, _ = request(
                        self.port, "GET", target.path, headers=target.headers, conn=conn
                    )
                except (OSError, http.client.HTTPException):
                    socket_errors[0] += 1
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                    continue
                mine_latency.append((time.perf_counter() - began) * 1000)
                mine_status.append(status)
            conn.close()
            with lock:
                latencies.extend(mine_latency)
                statuses.extend(mine_status)

        began = time.monotonic()
        threads = [threading.Thread(target=client) for _ in range(self.concurrency)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - began
        p50, p95, p99 = percentiles(latencies, (50, 95, 99))
        return Slice(
            requests=len(statuses),
            seconds=elapsed,
            c3=sum(1 for s in statuses if 300 <= s < 400),
            c4=sum(1 for s in statuses if 400 <= s < 500),
            c5=sum(1 for s in statuses if s >= 500),
            socket_errors=socket_errors[0],
            p50_ms=p50,
            p95_ms=p95,
            p99_ms=p99,
            latencies_ms=latencies,
        )


def runner(*, port: int, concurrency: int, prefer_wrk: bool = True) -> WrkRunner | PythonRunner:
    if prefer_wrk and wrk_path():
        return WrkRunner(port=port, concurrency=concurrency)
    return PythonRunner(port=port, concurrency=concurrency)


def drain(port: int, path: str = "/bench/bare/") -> None:
    """Wait until the server has answered what the last slice left queued.

    A slow page's requests outlive its slice (gunicorn still serves what is in its backlog);
    one cheap request answered means the backlog is gone and the next slice starts clean.
    """
    for _ in range(4):
        try:
            request(port, "GET", path)
            return
        except (OSError, http.client.HTTPException):
            continue


def interleaved(
    load: WrkRunner | PythonRunner, targets: list[Target], *, rounds: int, seconds: float
) -> dict[str, Measurement]:
    """Each target one slice per round, in turn; the order rotates so none is always first."""
    results = {target.name: Measurement(target.name) for target in targets}
    for round_number in range(rounds):
        shift = round_number % len(targets)
        for target in targets[shift:] + targets[:shift]:
            results[target.name].slices.append(load.run(target, seconds))
            drain(load.port)
    return results
