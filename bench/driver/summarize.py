#!/usr/bin/env python3
"""summarize.py: medians over rounds of bench/run.sh's runs.csv and idle.csv -> medians.csv, idle-medians.csv, summary.txt."""
import csv
import statistics
import sys
from collections import OrderedDict
from pathlib import Path


def read(path):
    """(comment lines, rows as dicts) of a CSV whose first lines may be '# ...' comments."""
    lines = path.read_text().splitlines()
    comments = [l for l in lines if l.startswith("#")]
    rows = list(csv.DictReader(l for l in lines if not l.startswith("#")))
    return comments, rows


def median(values):
    nums = []
    for v in values:
        try:
            nums.append(float(v))
        except (TypeError, ValueError):
            pass
    return statistics.median(nums) if nums else None


def fmt(v):
    if v is None:
        return "na"
    return f"{v:.0f}" if abs(v) >= 100 else f"{v:.3g}"


def group(rows, keys, values):
    """One row per distinct key: the keys, the number of rounds, and the median of each value column."""
    groups = OrderedDict()
    for r in rows:
        groups.setdefault(tuple(r[k] for k in keys), []).append(r)
    out = []
    for key, rs in groups.items():
        m = dict(zip(keys, key))
        m["rounds"] = str(len(rs))
        for v in values:
            m[v] = fmt(median(r[v] for r in rs))
        out.append(m)
    return out


def write(path, comments, rows, fields):
    with path.open("w", newline="") as f:
        for c in comments:
            f.write(c + "\n")
        f.write("# medians over rounds\n")
        w = csv.DictWriter(f, fieldnames=fields, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def num(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def ratio(a, b):
    a, b = num(a), num(b)
    return f"{a / b:.2f}" if a is not None and b else "na"


def main(results):
    out = []
    comments, rows = read(results / "runs.csv")
    keys = ["kind", "system", "connections", "size", "pipeline", "target_rate"]
    values = [k for k in rows[0].keys() if k not in keys + ["round"]] if rows else []
    med = group(rows, keys, values)
    write(results / "medians.csv", comments, med, keys + ["rounds"] + values)
    # Ratios against the first system of each configuration (coring-uring for echo, http-uring or nginx for HTTP).
    configs = OrderedDict()
    for m in med:
        configs.setdefault((m["kind"], m["connections"], m["size"], m["pipeline"], m["target_rate"]), []).append(m)
    for (kind, c, s, p, rate), ms in configs.items():
        base = ms[0]
        head = f"{kind} c={c} size={s}" + (f" pipeline={p}" if kind == "http" else "") + (f" rate={rate}" if kind == "echo-open" else "")
        out.append(head)
        for m in ms:
            out.append(
                f"  {m['system']:<15} rps {m['rps']:>8} ({ratio(m['rps'], base['rps'])}x)  p50 {m['p50_us']:>7} us  p99 {m['p99_us']:>8} us"
                f"  cpu/req {m['cpu_us_per_req']:>6} us ({ratio(m['cpu_us_per_req'], base['cpu_us_per_req'])}x)"
                f"  cs/req {m['vcsw_per_req']}+{m['ivcsw_per_req']}  rss {m['rss_kb']} kB  errors {m['errors']}"
                f"  verify {m['verify_failures']}  unsent {m['unsent']}  load cpu {m['load_cpu_util']}"
                f"  other on cores {m['server_core_other']}/{m['load_core_other']}  rounds {m['rounds']}")
    idle_path = results / "idle.csv"
    if idle_path.exists():
        comments, rows = read(idle_path)
        if rows:
            keys = ["system", "connections"]
            values = [k for k in rows[0].keys() if k not in keys + ["round"]]
            med = group(rows, keys, values)
            write(results / "idle-medians.csv", comments, med, keys + ["rounds"] + values)
            out.append("idle connections (a few active)")
            for m in med:
                out.append(
                    f"  {m['system']:<15} c={m['connections']:>6} held {m['established']:>6}  RSS/conn {m['rss_b_per_conn']:>6} B"
                    f"  MemAvail/conn {m['memavail_b_per_conn']:>6} B  ramp cpu/conn {m['ramp_cpu_us_per_conn']:>6} us"
                    f"  ramp cs/conn {m['ramp_vcsw_per_conn']}+{m['ramp_ivcsw_per_conn']}  threads {m['threads']}"
                    f"  hold cpu {m['hold_cpu_util']}  active p99 {m['active_p99_us']} us")
    text = "\n".join(out) + "\n"
    (results / "summary.txt").write_text(text)
    sys.stdout.write(text)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
