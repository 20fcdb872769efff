#!/usr/bin/env python3
"""Score a faultline report against planted causes (standard library only).

usage: score.py REPORT.json TRUTH.json [--top K] [--require SPEC] [--quiet]

For each planted cause of TRUTH.json (a list of {"name", "kind", "rows", "variables"}),
over the first K top-level slices of REPORT.json (`faultline discover --json`):

  P@10       best precision@10: share of a slice's first 10 listed members that are
             planted rows, the best over the K slices
  Jaccard    best Jaccard between a slice's members and the planted rows
  captured   some slice has P@10 >= 0.8 and Jaccard >= 0.3
  described  the best-Jaccard slice's text (its `description` and the strings of its
             `explanation`) names every planted variable, as a whole word

A slice's members are its `members` (row numbers, or objects {"row": r, ...}) united with
`holdout.members` when present; its listed order is `members` first. `parts` of a
slice (sub-slices, read the same way) are not scored: their number is printed, and
column partJ gives each cause's best Jaccard with a part, for information. Then one
summary line:
  SUMMARY captured k/N, mean best Jaccard x, described k/N

--require SPEC asserts targets, e.g. captured=5,jaccard=0.6,described=0.8: `captured`
and `described` take a count (an integer) or a share of the causes (a number with a
point), `jaccard` the least mean best Jaccard, `p10` the least mean best P@10.

Exit status: 0, 1 when a --require target is missed (one line naming it), 2 on a usage
error or a malformed report or truth file (one line naming the file and the field).
"""
import json
import re
import sys

P10_MIN, JACCARD_MIN = 0.8, 0.3
TARGETS = ("captured", "jaccard", "described", "p10")


class Malformed(Exception):
    pass


def fail(msg, code):
    print("score.py: " + msg, file=sys.stderr)
    sys.exit(code)


def load(path, what):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except OSError as e:
        raise Malformed("%s: cannot read %s: %s" % (path, what, e.strerror))
    except ValueError as e:
        raise Malformed("%s: %s is not JSON: %s" % (path, what, e))


def is_row(x, n):
    return isinstance(x, int) and not isinstance(x, bool) and x >= 0 and (n is None or x < n)


def member_rows(path, sid, field, value, n):
    """Rows of a members list: ints, or objects with an int `row`."""
    if not isinstance(value, list):
        raise Malformed("%s: slice %s: %s is not a list" % (path, sid, field))
    rows = []
    for k, m in enumerate(value):
        r = m.get("row") if isinstance(m, dict) else m
        if not is_row(r, n):
            raise Malformed("%s: slice %s: %s[%d] is not a row number%s" %
                            (path, sid, field, k, "" if n is None else " below %d" % n))
        rows.append(r)
    return rows


def read_report(path):
    rep = load(path, "report")
    if not isinstance(rep, dict) or not isinstance(rep.get("slices"), list):
        raise Malformed("%s: no \"slices\" list (not a faultline report)" % path)
    n = rep.get("dataset", {}).get("n") if isinstance(rep.get("dataset"), dict) else None
    if n is not None and not is_row(n, None):
        raise Malformed("%s: dataset.n is not a row count" % path)
    slices = []
    for k, s in enumerate(rep["slices"]):
        if not isinstance(s, dict):
            raise Malformed("%s: slices[%d] is not an object" % (path, k))
        sid = str(s.get("id", "#%d" % (k + 1)))
        if "members" not in s:
            raise Malformed("%s: slice %s has no members" % (path, sid))
        for field in ("description",):
            if field in s and s[field] is not None and not isinstance(s[field], str):
                raise Malformed("%s: slice %s: %s is not a string" % (path, sid, field))
        parts = s.get("parts") or []
        if not isinstance(parts, list):
            raise Malformed("%s: slice %s: parts is not a list" % (path, sid))
        part_rows = []
        for j, p in enumerate(parts):
            pid = "%s part %d" % (sid, j + 1)
            if not isinstance(p, dict) or "members" not in p:
                raise Malformed("%s: %s has no members" % (path, pid))
            _, rows = slice_rows(path, pid, p, n)
            part_rows.append(rows)
        order, rows = slice_rows(path, sid, s, n)
        slices.append({"id": sid, "order": order, "rows": rows, "text": slice_text(s),
                       "parts": part_rows, "raw": s})
    return rep, slices


def slice_rows(path, sid, s, n):
    """(listed order, set of rows) of a slice or part: `members` then `holdout.members`."""
    listed = member_rows(path, sid, "members", s["members"], n)
    hold = s.get("holdout")
    if hold is not None and not isinstance(hold, dict):
        raise Malformed("%s: slice %s: holdout is not an object" % (path, sid))
    held = []
    if hold and "members" in hold:
        held = member_rows(path, sid, "holdout.members", hold["members"], n)
    seen = set(listed)
    return listed + [r for r in held if r not in seen], seen | set(held)


def strings(x):
    if isinstance(x, str):
        return [x]
    if isinstance(x, dict):
        return [t for v in x.values() for t in strings(v)]
    if isinstance(x, list):
        return [t for v in x for t in strings(v)]
    return []


def slice_text(s):
    text = [s["description"]] if isinstance(s.get("description"), str) else []
    return " | ".join(text + strings(s.get("explanation")))


def read_truth(path):
    truth = load(path, "truth")
    if not isinstance(truth, list) or not truth:
        raise Malformed("%s: not a non-empty list of causes" % path)
    for k, c in enumerate(truth):
        if not isinstance(c, dict) or not isinstance(c.get("name"), str):
            raise Malformed("%s: cause %d has no name" % (path, k))
        if not isinstance(c.get("rows"), list) or not all(is_row(r, None) for r in c["rows"]) \
                or not c["rows"]:
            raise Malformed("%s: cause %s: rows is not a non-empty list of row numbers" %
                            (path, c["name"]))
        if not isinstance(c.get("variables"), list) or \
                not all(isinstance(v, str) for v in c["variables"]):
            raise Malformed("%s: cause %s: variables is not a list of names" % (path, c["name"]))
    return truth


# faultline names the class column `label` when it names every class (docs/cli.md):
# a description on `label` names the planted `class`.
SYNONYMS = {"class": ("class", "label")}


def names_all(text, variables):
    return all(any(re.search(r"(?<![\w])%s(?![\w])" % re.escape(name), text)
                   for name in SYNONYMS.get(v, (v,))) for v in variables)


def score(slices, truth, top):
    results = []
    for c in truth:
        planted = set(c["rows"])
        best_p, best_j, best_js, captured = (0.0, None), (0.0, None), None, False
        part_j = 0.0
        for s in slices[:top]:
            first = s["order"][:10]
            p10 = sum(r in planted for r in first) / len(first) if first else 0.0
            union = len(s["rows"] | planted)
            jac = len(s["rows"] & planted) / union if union else 0.0
            if p10 > best_p[0]:
                best_p = (p10, s)
            if jac > best_j[0]:
                best_j, best_js = (jac, s), s
            captured |= p10 >= P10_MIN and jac >= JACCARD_MIN
            for rows in s["parts"]:
                union = len(rows | planted)
                part_j = max(part_j, len(rows & planted) / union if union else 0.0)
        text = best_js["text"] if best_js else ""
        results.append({"cause": c, "p10": best_p[0], "p10_slice": best_p[1],
                        "jaccard": best_j[0], "slice": best_js, "captured": captured,
                        "described": bool(best_js) and names_all(text, c["variables"]),
                        "part_jaccard": part_j,
                        "text": text})
    return results


def parse_require(spec):
    req = {}
    for item in spec.split(","):
        key, sep, val = item.strip().partition("=")
        if not sep or key not in TARGETS:
            fail("--require: '%s' is not one of %s=VALUE" % (item, "/".join(TARGETS)), 2)
        try:
            req[key] = (float(val), "." in val)
        except ValueError:
            fail("--require: '%s' needs a number" % item, 2)
    return req


def check_require(req, results):
    n = len(results)
    got = {"captured": sum(r["captured"] for r in results),
           "described": sum(r["described"] for r in results),
           "jaccard": sum(r["jaccard"] for r in results) / n,
           "p10": sum(r["p10"] for r in results) / n}
    for key, (want, share) in req.items():
        have = got[key]
        if key in ("captured", "described"):
            need = want * n if share else want
            if have + 1e-9 < need:
                return "%s: %d/%d causes, required %s" % (key, have, n,
                                                          "%g of them" % want if share else
                                                          "%d" % want)
        elif have + 1e-9 < want:
            return "%s: mean best %.3f, required %g" % (key, have, want)
    return None


def overlap_name(s, truth):
    best = (0.0, "-")
    for c in truth:
        planted = set(c["rows"])
        jac = len(s["rows"] & planted) / len(s["rows"] | planted)
        if jac > best[0]:
            best = (jac, c["name"])
    return best


def found_by(s):
    out = []
    for f in s.get("found_by") or []:
        if isinstance(f, dict):
            out.append("%s/%s" % (f.get("method"), f.get("view") or "meta"))
    return ",".join(dict.fromkeys(out)) or "-"


def main(argv):
    args, top, spec, quiet = [], 10, None, False
    it = iter(argv)
    for a in it:
        if a in ("-h", "--help"):
            print(__doc__)
            return 0
        if a in ("--top", "--require"):
            v = next(it, None)
            if v is None:
                fail("%s needs a value" % a, 2)
            if a == "--top":
                if not v.isdigit() or int(v) < 1:
                    fail("--top needs a positive integer", 2)
                top = int(v)
            else:
                spec = v
        elif a == "--quiet":
            quiet = True
        elif a.startswith("-") and a != "-":
            fail("unknown option %s (see --help)" % a, 2)
        else:
            args.append(a)
    if len(args) != 2:
        fail("usage: score.py REPORT.json TRUTH.json [--top K] [--require SPEC]", 2)
    req = parse_require(spec) if spec else {}
    try:
        rep, slices = read_report(args[0])
        truth = read_truth(args[1])
    except Malformed as e:
        fail(str(e), 2)
    n = rep.get("dataset", {}).get("n")
    for c in truth:
        if n is not None and max(c["rows"]) >= n:
            fail("%s: cause %s has row %d, the report only %d rows" %
                 (args[1], c["name"], max(c["rows"]), n), 2)
    results = score(slices, truth, top)

    if not quiet:
        print("top %d slices of %s (%d in the report)" % (min(top, len(slices)), args[0],
                                                         len(slices)))
        print("  %-4s %6s %6s %-5s %-32s %-18s %s" % ("id", "rows", "fail", "repl",
                                                    "found by", "best cause (J)", "text"))
        for s in slices[:top]:
            raw = s["raw"]
            j, name = overlap_name(s, truth)
            fr = raw.get("failure_rate")
            print("  %-4s %6d %6s %-5s %-32s %-18s %s" % (
                s["id"], len(s["rows"]), "%.3f" % fr if isinstance(fr, (int, float)) else "-",
                {True: "yes", False: "no"}.get(raw.get("replicated"), "-"), found_by(raw)[:32],
                "%s (%.2f)" % (name, j) if name != "-" else "-", s["text"][:90]))
        parts = sum(len(s["parts"]) for s in slices[:top])
        if parts:
            print("  note: these %d slices carry %d parts, not scored; the best Jaccard of a "
                  "part with each cause is column partJ" % (min(top, len(slices)), parts))
    with_parts = any(s["parts"] for s in slices[:top])
    print("%-18s %-12s %5s %5s %-4s %5s %-4s %-4s %-5s %s%s" % (
        "cause", "kind", "rows", "P@10", "at", "Jacc", "at", "capt", "descr",
        "partJ " if with_parts else "", "text of the best-Jaccard slice"))
    for r in results:
        c = r["cause"]
        print("%-18s %-12s %5d %5.2f %-4s %5.2f %-4s %-4s %-5s %s%s" % (
            c["name"][:18], str(c.get("kind", "-"))[:12], len(c["rows"]), r["p10"],
            r["p10_slice"]["id"] if r["p10_slice"] else "-", r["jaccard"],
            r["slice"]["id"] if r["slice"] else "-", "yes" if r["captured"] else "no",
            "yes" if r["described"] else "no",
            "%5.2f " % r["part_jaccard"] if with_parts else "",
            json.dumps(r["text"], ensure_ascii=False)))
    k = len(results)
    print("SUMMARY captured %d/%d, mean best Jaccard %.3f, mean best P@10 %.3f, "
          "described %d/%d" % (sum(r["captured"] for r in results), k,
                               sum(r["jaccard"] for r in results) / k,
                               sum(r["p10"] for r in results) / k,
                               sum(r["described"] for r in results), k))
    if req:
        miss = check_require(req, results)
        if miss:
            print("score.py: target missed: " + miss, file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
