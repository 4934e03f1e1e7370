#!/usr/bin/env python3
"""plot.py: SVG plots (gnuplot) of bench/run.sh's medians: throughput, p99, CPU time and context switches per request, RSS per idle connection, latency CDF."""
import csv
import math
import re
import subprocess
import sys
from collections import OrderedDict
from pathlib import Path

STYLE = """set terminal svg size 760,460 dynamic enhanced font 'sans,12' background '#ffffff'
set grid
set key outside right top
set datafile missing 'na'
"""


def rows_of(path):
    if not path.exists():
        return []
    return list(csv.DictReader(l for l in path.read_text().splitlines() if not l.startswith("#")))


def series(rows, label_of, x_key, y_key):
    """{label: [(x, y)]} with numeric x, y, sorted by x."""
    out = OrderedDict()
    for r in rows:
        try:
            x, y = float(r.get(x_key)), float(r.get(y_key))
        except (TypeError, ValueError):
            continue
        out.setdefault(label_of(r), []).append((x, y))
    return OrderedDict((k, sorted(v)) for k, v in out.items())


def plot(path, title, xlabel, ylabel, data, logx=True, logy=False, extra="", style="linespoints"):
    """Writes path (.svg) from {label: [(x, y)]} with gnuplot; no file if there is nothing to draw."""
    data = OrderedDict((k, v) for k, v in data.items() if v)
    if not data:
        return
    gp = [STYLE, f"set output '{path}'", f"set title '{title}'", f"set xlabel '{xlabel}'", f"set ylabel '{ylabel}'"]
    if logx:
        gp.append("set logscale x")
    if logy:
        gp.append("set logscale y")
    gp.append(extra)
    plots = []
    for i, (label, pts) in enumerate(data.items()):
        gp.append(f"$d{i} << EOD")
        gp.extend(f"{x:g} {y:g}" for x, y in pts)
        gp.append("EOD")
        plots.append(f"$d{i} using 1:2 with {style} lw 2" + (f" pt {i % 7 + 1}" if style == "linespoints" else "") + f" title '{label}'")
    gp.append("plot " + ", \\\n  ".join(plots))
    r = subprocess.run(["gnuplot"], input="\n".join(gp) + "\n", text=True, capture_output=True, check=True)
    for line in r.stderr.splitlines():  # a single x value draws fine; say nothing about it
        if "empty x range" not in line:
            sys.stderr.write(line + "\n")


def main(results):
    med = rows_of(results / "medians.csv")
    echo = [r for r in med if r["kind"] == "echo"]
    for size in sorted({r["size"] for r in echo}, key=int):
        rs = [r for r in echo if r["size"] == size]
        sysname = lambda r: r["system"]
        plot(results / f"echo-throughput-s{size}.svg", f"echo throughput, {size} B messages (closed loop, median)",
             "connections", "messages/s", series(rs, sysname, "connections", "rps"), extra="set yrange [0:*]")
        plot(results / f"echo-p99-s{size}.svg", f"echo p99 latency, {size} B messages (closed loop, median)",
             "connections", "p99 latency (us)", series(rs, sysname, "connections", "p99_us"), logy=True)
        plot(results / f"echo-cpu-per-msg-s{size}.svg", f"server CPU time per echoed message, {size} B",
             "connections", "CPU us per message", series(rs, sysname, "connections", "cpu_us_per_req"),
             extra="set yrange [0:*]")
        cs = [dict(r, cs=str(sum(float(r[k]) for k in ("vcsw_per_req", "ivcsw_per_req"))))
              for r in rs if r["vcsw_per_req"] != "na" and r["ivcsw_per_req"] != "na"]
        plot(results / f"echo-cswitch-s{size}.svg", f"server context switches per message, {size} B",
             "connections", "context switches per message", series(cs, sysname, "connections", "cs"),
             extra="set yrange [0:*]")
    http = [r for r in med if r["kind"] == "http"]
    plot(results / "http-throughput.svg", "HTTP plaintext (wrk, keep-alive), median", "connections", "requests/s",
         series(http, lambda r: f"{r['system']} pipeline {r['pipeline']}", "connections", "rps"), extra="set yrange [0:*]")
    plot(results / "http-cpu-per-req.svg", "server CPU time per HTTP request (wrk, keep-alive), median", "connections",
         "CPU us per request", series(http, lambda r: f"{r['system']} pipeline {r['pipeline']}", "connections",
                                      "cpu_us_per_req"), extra="set yrange [0:*]")
    idle = rows_of(results / "idle-medians.csv")
    plot(results / "idle-rss-per-conn.svg", "server RSS per idle connection (VmRSS growth / connections)",
         "connections held", "bytes per connection", series(idle, lambda r: r["system"], "connections", "rss_b_per_conn"),
         logy=True)
    plot(results / "idle-active-p99.svg", "p99 latency of 8 active connections while the others idle",
         "connections held", "p99 latency (us)", series(idle, lambda r: r["system"], "connections", "active_p99_us"),
         logy=True)
    # Latency CDF of the open-loop runs: y is the percentile on a 1/(1-p) scale, so the tail is visible.
    cdfs = OrderedDict()
    for p in sorted(results.glob("cdf-*.txt")):
        m = re.fullmatch(r"cdf-(.+)-(c\d+-s\d+-r\d+)\.txt", p.name)
        if m:
            cdfs.setdefault(m.group(2), []).append((m.group(1), p))
    for cfg, files in cdfs.items():
        data = OrderedDict()
        for system, p in files:
            pts = []
            for line in p.read_text().splitlines():
                if line.startswith("#"):
                    continue
                x, f = map(float, line.split())
                if f < 1.0:
                    pts.append((x, -math.log10(1.0 - f)))
            data[system] = pts
        plot(results / f"latency-cdf-{cfg}.svg", f"open-loop latency distribution ({cfg.replace('-', ', ')})",
             "latency from the intended send time (us)", "percentile", data, logy=False, style="lines",
             extra="set ytics ('0' 0, '90' 1, '99' 2, '99.9' 3, '99.99' 4, '99.999' 5)\nset yrange [0:*]")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
