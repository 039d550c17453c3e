#!/usr/bin/env python3
"""Compare `crossfeed parse` with Python's feedparser, field by field, on feedparser's own
corpus of well-formed feeds (its tests/wellformed directory; fetch the kurtmckee/feedparser
repository and `pip install feedparser` first).

    python3 scripts/compare-feedparser.py /path/to/feedparser/tests/wellformed [target/release/crossfeed]
    python3 scripts/compare-feedparser.py --broad …   # every field of every entry

Each corpus file is a test whose `Expect:` header states what feedparser must make of it. A
field (title, link, id, published, updated) of an entry is compared where that test is about
it (its Expect names `entries[N]['title']`, `..._parsed`, `..._detail`, `guid` for id), so the
answer is the one the test asserts; this is "where the standard is clear". Titles compare as
plain text with whitespace folded, dates as instants, links as URLs. Disagreements are listed
by file. With --broad, every field of every entry that either parser gives a value for is
compared, whatever the test is about (many of those tests are about feedparser's own
conventions, so expect less agreement there).
"""

import html
import json
import os
import re
import subprocess
import sys
from calendar import timegm
from datetime import datetime
from urllib.parse import urlsplit

import feedparser

FIELDS = {
    "title": ["title", "title_detail"],
    "link": ["link"],
    "id": ["id", "guid"],
    "published": ["published", "published_parsed"],
    "updated": ["updated", "updated_parsed"],
}


def plain(s):
    s = re.sub(r"<[^>]+>", "", s or "")
    return " ".join(html.unescape(s).split())


def ours(path, binary):
    out = subprocess.run([binary, "parse", path], capture_output=True, text=True)
    if out.returncode != 0:
        return None
    return [json.loads(line) for line in out.stdout.splitlines() if line.strip()]


def theirs_value(entry, field):
    if field in ("published", "updated"):
        t = entry.get(field + "_parsed")
        return timegm(t) if t else None
    if field == "title":
        value = entry.get("title") or ""
        if entry.get("title_detail", {}).get("type") == "text/plain":
            return " ".join(value.split()) or None
        return plain(value) or None
    if field == "id":
        return (entry.get("id") or "").strip() or None
    return entry.get(field) or None


def our_value(item, field):
    if field in ("published", "updated"):
        v = item.get(field)
        if not v:
            return None
        return int(datetime.fromisoformat(v.replace("Z", "+00:00")).timestamp())
    if field == "id":
        return (item.get("guid") or "").strip() or None
    if field == "title":
        # Already plain text: only whitespace is folded (a literal "<blink>" stays).
        return " ".join((item.get("title") or "").split()) or None
    return item.get(field) or None


def same_url(a, b):
    """Equal as URLs: scheme and host are case-insensitive (RFC 3986 section 6.2.2.1)."""
    if a is None or b is None:
        return a == b
    pa, pb = urlsplit(a), urlsplit(b)
    return (pa.scheme.lower(), (pa.hostname or ""), pa.port, pa.path or "/", pa.query, pa.fragment) == (
        pb.scheme.lower(), (pb.hostname or ""), pb.port, pb.path or "/", pb.query, pb.fragment)


# Tests left out, with the reason: where the standard is not clear, or the test needs
# feedparser's own HTTP test server.
SKIPPED_DIRS = {
    "cdf": "Microsoft CDF, not a syndication format crossfeed reads",
}
UNCLEAR = {
    "entry_link_no_href_link_priority.xml": "Atom requires href; feedparser reads the element text",
    "entry_link_rel_enclosure_no_href.xml": "Atom requires href; feedparser reads the element text",
    "entry_title_naked_markup.xml": "child elements in a text construct are not Atom",
    "item_dc_date.xml": "dc:date names no event; crossfeed reads it as published, feedparser as updated",
    "item_dc_date_parsed.xml": "as item_dc_date.xml",
}
# Where feedparser is wrong: counted apart, not as agreement.
FEEDPARSER_WRONG = {
    "entry_title_crazy.xml": "feedparser leaves script text in the title",
}


BROAD = "--broad" in sys.argv


def main():
    args = [a for a in sys.argv[1:] if a != "--broad"]
    corpus = args[0]
    binary = args[1] if len(args) > 1 else "target/release/crossfeed"
    agree = total = 0
    misses = []
    for root, _, files in sorted(os.walk(corpus)):
        for name in sorted(files):
            path = os.path.join(root, name)
            rel = os.path.relpath(path, corpus)
            if rel.split(os.sep)[0] in SKIPPED_DIRS or name in UNCLEAR:
                continue
            if name in FEEDPARSER_WRONG:
                print(f"{rel}: feedparser wrong ({FEEDPARSER_WRONG[name]}); not counted")
                continue
            # Served by feedparser's test HTTP server with headers these files name.
            if name.startswith("http_"):
                continue
            with open(path, "rb") as f:
                head = f.read(4096).decode("utf-8", "replace")
            m = re.search(r"Expect:\s*(.*)", head)
            if not m:
                continue
            expect = m.group(1)
            wanted = []
            for field, keys in FIELDS.items():
                for n, key in re.findall(r"entries\[(\d+)\]\[.(\w+).\]", expect):
                    if key in keys and (int(n), field) not in wanted:
                        wanted.append((int(n), field))
            if BROAD:
                # Every field of every entry either parser gives a value for.
                wanted = [(n, f) for n in range(64) for f in FIELDS]
            if not wanted:
                continue
            fp = feedparser.parse(path)
            mine = ours(path, binary)
            for n, field in wanted:
                if n >= len(fp.entries):
                    continue
                want = theirs_value(fp.entries[n], field)
                got = our_value(mine[n], field) if mine and n < len(mine) else None
                if BROAD and want is None and got is None:
                    continue
                total += 1
                if want == got or (field == "link" and same_url(want, got)):
                    agree += 1
                else:
                    misses.append((os.path.relpath(path, corpus), field, want, got))
    for path, field, want, got in misses:
        print(f"{path}: {field}: feedparser {want!r}, crossfeed {got!r}")
    print(f"agreement: {agree}/{total} = {agree / max(total, 1):.3f}")


if __name__ == "__main__":
    main()
