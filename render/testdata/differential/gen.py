#!/usr/bin/python3
"""Records the original airt client's output for generated users and -f values.

The original client printed its user tables with tabulate 0.8.9
(tabulate(rows, headers=..., tablefmt="plain", missingval=...), without
wcwidth), parsed -f with ast.literal_eval and applied the templates with
str.format, humanized `created` with humanize 4.4's naturaltime, and printed
through click.echo, which strips ANSI escape sequences when the stream is not
a terminal. This script reimplements that code path and writes cases.json,
which render's differential test (differential_test.go) replays against
airt's renderers without Python.

Run with Debian 12's /usr/bin/python3 and its python3-tabulate (0.8.9) and
python3-humanize (4.4.0):  make differential
"""
import ast
import datetime as dt
import json
import random
import re
import sys
import uuid

import humanize
import tabulate

assert tabulate.__version__ == "0.8.9", tabulate.__version__
assert humanize.__version__ in ("4.4.0", "0.0.0"), humanize.__version__  # Debian's reports 0.0.0
tabulate.WIDE_CHARS_MODE = False  # the original ran without wcwidth
tabulate.PRESERVE_WHITESPACE = False

COLS = ["uuid", "username", "email", "super_user", "is_mfa_active", "disabled", "created",
        "subscription_type", "first_name", "last_name", "phone_number", "is_phone_number_verified"]
BOOL_COLS = {"super_user", "is_mfa_active", "disabled", "is_phone_number_verified"}
NOW = dt.datetime(2026, 1, 1, 12, 0, 0)  # naive UTC, as the original compared

# click 8.1.3's click._compat._ansi_re
CLICK_ANSI = re.compile(r"\033\[[;?0-9]*[a-zA-Z]")


def click_strip(s):
    return CLICK_ANSI.sub("", s)


# Texts of every width class and of every type tabulate detects.
ASCII = ["alice", "bob_smith", "x", "O'Neil", "Anne Marie", "admin", "user123", "a-b.c", "Z"]
WIDE = ["山田", "太郎", "ｆｕｌｌ", "한국어", "日本語テキスト", "中"]
EMOJI = ["😀", "👍🏽", "👨\u200d👩\u200d👧", "🇬🇧", "✨"]
COMBINING = ["e\u0301", "Zoe\u0308", "n\u0303o", "a\u0300\u0301"]
AMBIGUOUS = ["é", "ßtraße", "°C", "αβγ", "±1", "①", "Ω", "×"]
ZERO_WIDTH = ["a\u200bb", "x\u2028y", "soft\u00adhyphen", "\u200d"]
NUMBERS = ["0044", " 7 ", "1_000", "1.5", "1e5", "nan", "inf", "-inf", "Infinity", "١٢٣", "12",
           "-3", "+4", "0x10", "1.", ".5", "1e", "١.٥", "1e-3", "12.250", "-0.0", "1__0", "NaN"]
BOOLS = ["True", "False", "true", "FALSE"]
SPACES = ["\u3000x", "x\u00a0", " lead", "trail ", "\u2003"]
TEXT_POOLS = [ASCII, ASCII, WIDE, EMOJI, COMBINING, AMBIGUOUS, ZERO_WIDTH, NUMBERS, BOOLS, SPACES]
SUBSCRIPTIONS = ["small", "medium", "large", "test", "infobip", "captn", "superuser"]


def text(rng, pools=TEXT_POOLS):
    pool = rng.choice(pools)
    s = rng.choice(pool)
    if rng.random() < 0.2:
        s += rng.choice(rng.choice(pools))
    return s


def created(rng):
    r = rng.random()
    if r < 0.05:
        return None
    if r < 0.1:
        return dt.datetime(rng.choice([1026, 1600, 1677, 1, 2300, 2263, 2500]), 6, 1, 3, 4, 5)
    mag = rng.choice([0, 1, 59, 60, 119, 3599, 7200, 86399, 86400, 10**6, 10**7, 10**8, 400 * 86400,
                      365 * 86400, 366 * 86400, 31536000 * 3, 10**9, 10**10, 31557600 * 1000])
    secs = rng.randint(0, mag) if rng.random() < 0.5 else mag
    if rng.random() < 0.15:
        secs = -secs
    return NOW - dt.timedelta(seconds=secs)


def phone(rng):
    r = rng.random()
    if r < 0.35:
        return None
    if r < 0.8:
        return "+44" + "".join(rng.choice("0123456789") for _ in range(rng.randint(9, 10)))
    return rng.choice(["441111111111", "+1 415 555 0100", "12.5", "True"] + NUMBERS)


def user(rng):
    def email():
        return text(rng, [ASCII, WIDE, AMBIGUOUS]) .replace(" ", "") + "@example.com"
    return {
        "uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "username": text(rng),
        "email": email(),
        "super_user": rng.random() < 0.3,
        "is_mfa_active": rng.random() < 0.3,
        "disabled": rng.random() < 0.3,
        "created": created(rng),
        "subscription_type": rng.choice(SUBSCRIPTIONS) if rng.random() < 0.7 else text(rng),
        "first_name": text(rng),
        "last_name": text(rng),
        "phone_number": phone(rng),
        "is_phone_number_verified": rng.random() < 0.3,
    }


def user_json(u):
    j = dict(u)
    if u["created"] is not None:
        j["created"] = u["created"].isoformat() + "Z"
    return j


def py_row(u, humanized):
    """The values the original's DataFrame held for one user."""
    row = dict(u)
    c = u["created"]
    if humanized:
        # A falsy created became the text "None".
        row["created"] = humanize.naturaltime(NOW - c) if c else "None"
    else:
        row["created"] = c.isoformat() if c else None
    return row


# -f templates, written as Python source text (inside single quotes).
FIELDS = ["{}", "{}", "{0}", "{:>6}", "{:<10}", "{:^9}", "{:*>12}", "{:d}", "{!r}", "{!s:>8}",
          "{0[0]}", "{[1]}", "{0.real}", "{.imag}", "{0.numerator:>3}", "{:.3}", "{:x}", "{:,}",
          "{name}", "{1}", "{0[a]}", "{!a}", "{:=>5}", "{:05}", "{:+d}", "{0[0][0]}", "{0.upper}",
          "{:s}", "{:b}", "{:e}", "{:%}", "{0[-1]}", "{:#x}"]
LITERALS = ["User: ", "[", "]", " - ", "\\N{BULLET} ", "\\N{EM DASH}", "\\u2192", "\\x1b[31m",
            "\\033[0m", "\\x1b[1;32m", "\\x1b[2J", "\\x1b[?25l", "\\x1b]8;;http://x\\x1b\\\\",
            "山", "é", "😀", "{{", "}}", "\\t", "constant", "1", " 2.5", "True", "\\x1b[38;5;1m",
            "\\n", "\\r\\n", "line\\nbreak", "\\u2028", "\\x0b"]


def template(rng):
    parts = []
    for _ in range(rng.randint(1, 3)):
        parts.append(rng.choice(FIELDS) if rng.random() < 0.55 else rng.choice(LITERALS))
    if rng.random() < 0.1:
        parts = [rng.choice(FIELDS)]
    if rng.random() < 0.08:
        # A line break switches tabulate to its multi-line layout.
        parts.insert(rng.randint(0, len(parts)), rng.choice(["\\n", "\\r\\n", "\\n\\n", "\\r"]))
    return "".join(parts)


KEYS_BAD = ["'nope'", "1j", "(1+2j)", "...", "1", "None", "'UUID'", "b'uuid'", "2.5", "(1, 2)"]


def format_literal(rng):
    r = rng.random()
    if r < 0.08:
        return rng.choice(["['uuid']", "'uuid'", "''", "...", "1j", "uuid", "{'uuid': '{}'",
                           "{'uuid'}", "()", "b'x'", "{'uuid': '{}', **x}", "{}", "'\\N{BULLET}'",
                           "(1+2j)", "-1j", "None", "[...]", "{'uuid': f'{x}'}", "1 + 1",
                           "{'uuid': '\\N{NO SUCH NAME}'}", "'a' 'b'", "{'uuid': '{}',}"])
    n = rng.choice([1, 1, 2, 2, 3, 4])
    keys = rng.sample(COLS, n)
    srcs = []
    for k in keys:
        key = "'%s'" % k
        if rng.random() < 0.04:
            key = rng.choice(KEYS_BAD)
        val = "'%s'" % template(rng)
        if rng.random() < 0.03:
            val = rng.choice(["5", "None", "b'{}'", "['{}']"])
        if rng.random() < 0.1:
            val = '"%s"' % template(rng)
        srcs.append("%s: %s" % (key, val))
    return "{" + ", ".join(srcs) + "}"


METHOD_ATTR = re.compile(r"\{[0-9]*(\[[^\]]*\])*\.(?!(real|imag|numerator|denominator)\b)\w")


def original(users, mode, fmt, humanized):
    """Returns (stdout, stderr, tags) as the original client printed them off a terminal."""
    rows = [py_row(u, humanized) for u in users]
    tags = []
    if METHOD_ATTR.search(fmt):
        # "{0.upper}" printed "<built-in method upper of str object at
        # 0x7f...>", a different address in every run.
        tags.append("method-attr")
    if mode == "format":
        try:
            d = ast.literal_eval(fmt)
        except Exception:
            return "", error("Not a valid python expression: " + fmt), tags
        if not isinstance(d, dict):
            return "", error("The format string is not a dictionary: %s" % (d,)), tags
        invalid = set(d.keys()) - set(COLS)
        if invalid:
            tags.append("set-order")
            return "", error("The following columns are not valid: %s. Only the following columns are valid: %s"
                             % (invalid, set(COLS))), tags
        if not d:
            return "", "IndexError: single positional indexer is out-of-bounds\n", ["empty-dict"]
        out = {}
        for col, tmpl in d.items():
            try:
                out[col] = [tmpl.format(r[col]) for r in rows]
            except Exception:
                return "", error("Formatting is wrong for %s: %s" % (col, tmpl)), tags
        if len(d) == 1:
            text_out = "\n".join(out[list(d)[0]])
        else:
            text_out = tabulate.tabulate([[out[c][i] for c in d] for i in range(len(rows))],
                                         headers=list(d), tablefmt="plain")
        # Keep the recording stable: a method's address changes in every run.
        text_out = re.sub(r" at 0x[0-9a-f]+>", " at 0x0>", text_out)
    elif mode == "quiet":
        text_out = "\n".join(r["uuid"] for r in rows)
    else:
        text_out = tabulate.tabulate([[r[c] for c in COLS] for r in rows], headers=COLS,
                                     tablefmt="plain", missingval="<none>")
    return click_strip(text_out + "\n"), "", tags


def original_or_crash(users, mode, fmt, humanized):
    try:
        return original(users, mode, fmt, humanized)
    except Exception as e:  # the original printed a traceback here
        return "", "%s: %s\n" % (type(e).__name__, e), ["original-crash"]


def error(problem):
    return click_strip(problem + "\n" + "An example of a valid formatting string: " +
                       str({c: "{}" for c in COLS}) + "\n")


def main():
    rng = random.Random(int(sys.argv[1]) if len(sys.argv) > 1 else 20261202)
    cases = []
    for i in range(3000):
        nusers = rng.choice([0, 1, 1, 2, 3, 4])
        users = [user(rng) for _ in range(nusers)]
        mode = rng.choice(["table", "table", "quiet", "format", "format", "format", "format"])
        humanized = rng.random() < 0.75
        fmt = format_literal(rng) if mode == "format" else ""
        stdout, stderr, tags = original_or_crash(users, mode, fmt, humanized)
        cases.append({
            "name": "case%04d" % i, "mode": mode, "humanize": humanized, "format": fmt,
            "users": [user_json(u) for u in users], "stdout": stdout, "stderr": stderr, "tags": tags,
        })
    json.dump({"now": NOW.isoformat() + "Z", "cases": cases}, sys.stdout, ensure_ascii=True, indent=0)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
