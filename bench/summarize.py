#!/usr/bin/env python3
"""Summarize bench/run's raw.csv into results.md, and plot W6 (w6.png).

W9 (bench/deep_history) rows are "W9-<form>", variant shallow (size 5) or
deep (size: the number of past tasks).

Medians over rounds; a ratio is taken between variants of the same round
(they ran back to back), then reported as median [min-max] over rounds.
"""
import csv
import statistics
import subprocess
import sys
from collections import defaultdict

raw, outdir, mode = sys.argv[1], sys.argv[2], sys.argv[3]
tps = defaultdict(dict)          # (workload, clients, size) -> {(variant, round): tps}
for row in csv.DictReader(open(raw)):
    key = (row["workload"], int(row["clients"]), int(row["size"]))
    tps[key][(row["variant"], int(row["round"]))] = float(row["tps"])


def rounds(key):
    return sorted({r for (_, r) in tps[key]})


def median_tps(key, v):
    return statistics.median(tps[key][(v, r)] for r in rounds(key))


def ratios(key, num, den):
    return [tps[key][(num, r)] / tps[key][(den, r)] for r in rounds(key)]


W9_FORMS = {"all": "cancel_tasks all", "task_type": "cancel_tasks task_type",
            "campaign": "cancel_tasks campaign", "array": "array form, 1 of 10 customers",
            "preview": "preview_cancel all", "cancel_task": "cancel_task, end_campaigns",
            "block": "block_customer"}


def fmt(rs):
    return "%.2f [%.2f-%.2f]" % (statistics.median(rs), min(rs), max(rs))


lines = []
goals = []
say = lines.append
settings = open(outdir + "/settings.txt").read().split("\n")
say("# task_cancel benchmark (%s run)" % mode)
say("")
say("Settings: " + ", ".join(s for s in settings if s) + ".")
say("Each run is pgbench -M prepared for a fixed time; W1-W5 roll back every")
say("transaction so each call does the same work on the same data.")
say("")
say("| workload | clients | tasks | A tps | B tps | ours tps | ours/A | ours/B |")
say("|---|---|---|---|---|---|---|---|")
names = {"W1": "task_type", "W2": "all", "W3": "campaign", "W4": "nothing to cancel",
         "W5": "array, 1000 customers"}
for key in sorted(k for k in tps if k[0] in names):
    w, c, n = key
    ra, rb = ratios(key, "ours", "a"), ratios(key, "ours", "b")
    say("| %s %s | %d | %d | %.0f | %.0f | %.0f | %s | %s |" % (
        w, names[w], c, n, median_tps(key, "a"), median_tps(key, "b"),
        median_tps(key, "ours"), fmt(ra), fmt(rb)))
    # issue #12: well ahead of hand-written SQL (A), events included
    goal = {"W1": 1.3, "W2": 1.3, "W3": 1.3, "W4": 3.0, "W5": 1.3}[w]
    m = statistics.median(ra)
    goals.append("%s (%d client%s): ours/A = %.2f, goal >= %.2f: %s" % (
        w, c, "" if c == 1 else "s", m, goal, "met" if m >= goal else "MISSED"))

say("")
say("W7, router traffic (create, reserve, accept, complete in one transaction):")
say("")
say("| clients | no guard tps | PL/pgSQL guard tps | C guard tps | PL/pgSQL guard cost | C guard cost |")
say("|---|---|---|---|---|---|")
for key in sorted(k for k in tps if k[0] == "W7"):
    _, c, n = key
    cost_plp = [1 - r for r in ratios(key, "plpgsql", "none")]
    cost_ours = [1 - r for r in ratios(key, "ours", "none")]
    say("| %d | %.0f | %.0f | %.0f | %s | %s |" % (
        c, median_tps(key, "none"), median_tps(key, "plpgsql"), median_tps(key, "ours"),
        fmt([100 * x for x in cost_plp]) + " %", fmt([100 * x for x in cost_ours]) + " %"))
    m = 100 * statistics.median(cost_ours)
    goals.append("W7 (%d client%s): C guard costs %.1f %% against no guard, goal <= 5 %%: %s" % (
        c, "" if c == 1 else "s", m, "met" if m <= 5 else "MISSED"))

w1s = sorted(k for k in tps if k[0] == "W1s")
if w1s:
    say("")
    say("W1s, the cancel stream: W1 of ours at wal_level = logical, task_cancel.stream off and on:")
    say("")
    say("| clients | stream off tps | stream on tps | on/off |")
    say("|---|---|---|---|")
    for key in w1s:
        _, c, n = key
        say("| %d | %.0f | %.0f | %s |" % (c, median_tps(key, "stream_off"),
                                          median_tps(key, "stream_on"),
                                          fmt(ratios(key, "stream_on", "stream_off"))))

say("")
say("W6, W1 latency (ms, 1 client) by table size, ![plot](w6.png):")
say("")
say("| tasks | A | B | ours |")
say("|---|---|---|---|")
w6 = sorted(k for k in tps if k[0] == "W6")
lat = {}
with open(outdir + "/w6.dat", "w") as dat:
    for key in w6:
        n = key[2]
        row = [1000.0 / median_tps(key, v) for v in ("a", "b", "ours")]
        lat[n] = row
        say("| %d | %.3f | %.3f | %.3f |" % (n, *row))
        dat.write("%d %.4f %.4f %.4f\n" % (n, *row))
if len(lat) >= 2:
    lo, hi = min(lat), max(lat)
    growth = [lat[hi][i] / lat[lo][i] for i in range(3)]
    say("")
    say("latency(%d) / latency(%d): A %.2f, B %.2f, ours %.2f" % (hi, lo, *growth))
    goals.append("W6: ours latency(%d)/latency(%d) = %.2f, goal <= 1.5: %s" % (
        hi, lo, growth[2], "met" if growth[2] <= 1.5 else "MISSED"))

w9 = sorted({k[0] for k in tps if k[0].startswith("W9-")},
            key=lambda w: list(W9_FORMS).index(w[3:]) if w[3:] in W9_FORMS else 99)
if w9:
    depths = sorted({k[2] for k in tps if k[0] in w9 and k[2] != 5})
    say("")
    say("W9, deep history: latency (ms, 1 client) for a customer with 5 past tasks")
    say("(shallow) and with %s, each with 2 waiting tasks; ratio deep/shallow" %
        " and ".join("{:,}".format(d) for d in depths))
    say("within a round, median [min-max]:")
    say("")
    say("| form | shallow | " + " | ".join("{:,}".format(d) for d in depths) + " | " +
        " | ".join("{:,}/shallow".format(d) for d in depths) + " |")
    say("|---|---|" + "---|" * (2 * len(depths)))
    for w in w9:
        shallow = (w, 1, 5)
        cells, rcells = [], []
        for d in depths:
            deep = (w, 1, d)
            cells.append("%.3f" % (1000.0 / median_tps(deep, "deep")))
            rs = [tps[shallow][("shallow", r)] / tps[deep][("deep", r)]
                  for r in rounds(deep) if ("shallow", r) in tps[shallow]]
            rcells.append(fmt(rs))
            m = statistics.median(rs)
            goals.append("W9 %s, %s past tasks: deep/shallow latency = %.2f, goal <= 1.5: %s" % (
                W9_FORMS.get(w[3:], w[3:]), "{:,}".format(d), m, "met" if m <= 1.5 else "MISSED"))
        say("| %s | %.3f | %s | %s |" % (W9_FORMS.get(w[3:], w[3:]),
                                         1000.0 / median_tps(shallow, "shallow"),
                                         " | ".join(cells), " | ".join(rcells)))

mem = [l for l in open(outdir + "/memory.txt").read().split("\n") if l.startswith("after")]
if len(mem) == 2:
    small, big = (int(l.split(": ")[1].split()[0]) for l in mem)
    say("")
    say("Memory of one backend: " + "; ".join(mem) + "; growth %d bytes." % (big - small))
    goals.append("Memory: growth %d bytes between the two samples, goal <= 1 MB: %s" % (
        big - small, "met" if big - small <= 1 << 20 else "MISSED"))

try:
    instr = open(outdir + "/instructions.md").read().rstrip()
except OSError:
    instr = None
if instr:
    say("")
    say(instr)
    # Goals judged by instruction counts, which repeat exactly.
    section = ""
    for line in instr.split("\n"):
        if not line.startswith("|"):
            section = line or section
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) == 3 and cells[2].endswith("%") and cells[0].isdigit():
            cost = float(cells[2].rstrip(" %"))
            what = ("W1s by instructions: the cancel stream costs" if "stream" in section
                    else "W8 by instructions: the block-list check costs")
            goals.append("%s %.1f %%, goal <= 5 %%: %s" % (
                what, cost, "met" if cost <= 5 else "MISSED"))
        if len(cells) == 6 and cells[0] in ("W1", "W2", "W3", "W4", "W5"):
            a, b, ours = int(cells[1]), int(cells[2]), int(cells[3])
            # issue #12's goals, W1 and W2 raised to 1.5 by issue #20
            goal = {"W1": 1.5, "W2": 1.5, "W3": 1.3, "W4": 3.0, "W5": 1.3}[cells[0]]
            goals.append("%s by instructions: A/ours = %.2f, goal >= %.2f: %s (B/ours = %.2f)" % (
                cells[0], a / ours, goal, "met" if a / ours >= goal else "MISSED",
                b / ours))
        if len(cells) == 4 and cells[0].startswith("W9 ") and cells[1].isdigit():
            ratio = float(cells[3])
            goals.append("%s by instructions: deep/shallow = %.2f, goal <= 1.5: %s" % (
                cells[0], ratio, "met" if ratio <= 1.5 else "MISSED"))
        if len(cells) == 5 and cells[4].endswith("%") and cells[0].isdigit():
            cost = float(cells[4].rstrip(" %"))
            goals.append("W7 by instructions: C guard costs %.1f %%, goal <= 5 %%: %s" % (
                cost, "met" if cost <= 5 else "MISSED"))

say("")
say("Goals:")
say("")
for g in goals:
    say("- " + g)
open(outdir + "/results.md", "w").write("\n".join(lines) + "\n")
print("\n".join(lines))

plot = """set terminal png size 800,500 noenhanced
set output '%s/w6.png'
set logscale x
set xlabel 'tasks in table'
set ylabel 'W1 latency (ms, 1 client)'
set title 'task_cancel: cancel latency against table size'
set key left top
set yrange [0:*]
plot '%s/w6.dat' using 1:2 with linespoints title 'A: hand-written SQL', \\
     '' using 1:3 with linespoints title 'B: PL/pgSQL function', \\
     '' using 1:4 with linespoints title 'ours: task_cancel'
""" % (outdir, outdir)
try:
    subprocess.run(["gnuplot"], input=plot, text=True, check=True)
except (OSError, subprocess.CalledProcessError) as e:
    print("gnuplot failed: %s" % e, file=sys.stderr)
