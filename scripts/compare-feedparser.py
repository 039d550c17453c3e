#!/usr/bin/env python3
"""Compare `crossfeed parse` with Python's feedparser, field by field, over any folder of feeds.

    python3 scripts/compare-feedparser.py FOLDER [BINARY] [--broad] [--quiet]

BINARY defaults to target/release/crossfeed (target/debug/crossfeed when there is no release
build). Needs `pip install feedparser`. Every file under FOLDER is read by both parsers and their
entries are compared on title, link, id, published, updated, authors, categories and
enclosures. Entries are paired by position when both parsers found as many, else by id, then
link. Every disagreement is listed by file and field, and a table gives the agreement per field.

Two kinds of folder:

- Any folder of feeds (tests/fixtures/corpus, a directory of feeds saved from the wild): every
  field that either parser gives a value for is compared.
- feedparser's own corpus (tests/wellformed of kurtmckee/feedparser): each file is a test
  whose `Expect:` header states what feedparser must make of it, and by default only the
  fields that test is about are compared (its Expect names `entries[N]['title']`, `guid` for
  id, `tags` for categories, …), so the answer is the one the test asserts. --broad compares
  every field there too; many of those tests are about feedparser's own conventions, so expect
  less agreement.

Values are compared as a reader sees them: titles as plain text with whitespace folded, dates
as instants, links and enclosures as URLs (scheme and host case-insensitive), authors and
categories as sets of names. Where the two parsers follow different conventions on purpose, the
disagreement is counted apart under the convention's name (CONVENTIONS below), not as a
disagreement, and the table says how many.
"""

import base64
import binascii
import html
import json
import os
import re
import subprocess
import sys
from calendar import timegm
from collections import Counter
from datetime import datetime
from urllib.parse import unquote, urlsplit

import feedparser

FIELDS = ["title", "link", "id", "published", "updated", "authors", "categories", "enclosures"]

# Keys of feedparser's entry that an `Expect:` header names, per field.
EXPECT_KEYS = {
    "title": {"title", "title_detail"},
    "link": {"link"},
    "id": {"id", "guid"},
    "published": {"published", "published_parsed"},
    "updated": {"updated", "updated_parsed"},
    "authors": {"author", "author_detail", "authors"},
    "categories": {"tags", "category"},
    "enclosures": {"enclosures"},
}


def plain(s):
    s = re.sub(r"<[^>]+>", "", s or "")
    return " ".join(html.unescape(s).split())


def folded(s):
    return " ".join((s or "").split())


def ours(path, binary):
    out = subprocess.run([binary, "parse", path], capture_output=True, text=True)
    if out.returncode != 0:
        return None
    return [json.loads(line) for line in out.stdout.splitlines() if line.strip()]


def theirs_value(entry, field):
    if field in ("published", "updated"):
        # dict.get: feedparser's own get answers `updated` with `published` when there is none.
        t = dict.get(entry, field + "_parsed")
        return timegm(t) if t else None
    if field == "title":
        value = entry.get("title") or ""
        if entry.get("title_detail", {}).get("type") == "text/plain":
            return folded(value) or None
        return plain(value) or None
    if field == "id":
        return (entry.get("id") or "").strip() or None
    if field == "authors":
        names = {folded(a.get("name") or a.get("email")) for a in entry.get("authors") or []}
        names.discard("")
        return frozenset(names) or None
    if field == "categories":
        terms = {plain(t.get("label") or t.get("term")) for t in entry.get("tags") or []}
        terms.discard("")
        return frozenset(terms) or None
    if field == "enclosures":
        urls = {canonical_url(e.get("href")) for e in entry.get("enclosures") or []}
        urls.discard(None)
        return frozenset(urls) or None
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
        return folded(item.get("title")) or None
    if field == "authors":
        return frozenset(folded(a) for a in item.get("authors") or []) or None
    if field == "categories":
        return frozenset(folded(c) for c in item.get("categories") or []) or None
    if field == "enclosures":
        urls = {canonical_url(e.get("url")) for e in item.get("enclosures") or []}
        urls.discard(None)
        return frozenset(urls) or None
    return item.get(field) or None


def canonical_url(u):
    """A URL with scheme and host lower-cased (RFC 3986 section 6.2.2.1) and an empty path as /."""
    if not u or not u.strip():
        return None
    p = urlsplit(u.strip())
    host = (p.hostname or "") + (f":{p.port}" if p.port else "")
    return f"{p.scheme.lower()}://{host}{p.path or '/'}" + (f"?{p.query}" if p.query else "") + (
        f"#{p.fragment}" if p.fragment else "")


def same(field, want, got):
    if want == got:
        return True
    if field == "link" and want and got:
        return canonical_url(want) == canonical_url(got)
    return False


# Convention differences: (name, test). A test sees the field, both values, feedparser's entry,
# our item and feedparser's name for the format, and says whether the disagreement is this convention.
def _media_enclosures(field, want, got, entry, item, version):
    # crossfeed lists media:content (and feed-rs's enclosure media) among the enclosures;
    # feedparser keeps media:content apart, in media_content.
    if field != "enclosures" or not got:
        return False
    media = {canonical_url(m.get("url")) for m in entry.get("media_content") or []}
    return got - (want or frozenset()) <= media


def _extension_author_added(field, want, got, entry, item, version):
    # feedparser adds itunes:author (and dc:creator) to an item's own author; crossfeed reads
    # them only for an item that names no author of its own.
    return field == "authors" and bool(want and got) and got < want


def _keywords_beside_categories(field, want, got, entry, item, version):
    # feedparser adds itunes:keywords to an item's own categories; crossfeed reads them only
    # for an item without categories.
    return field == "categories" and bool(want and got) and got < want


def _itunes_title(field, want, got, entry, item, version):
    # crossfeed takes itunes:title / media:title as the title of an item without <title>.
    return field == "title" and want is None and bool(got) and not entry.get("title")


def _dc_date_published(field, want, got, entry, item, version):
    # dc:date names no event: crossfeed reads it as published, feedparser as updated.
    return field in ("published", "updated") and (want is None) != (got is None) and (
        theirs_value(entry, "updated") == our_value(item, "published")
        or theirs_value(entry, "published") == our_value(item, "updated"))


def _future_date_clamped(field, want, got, entry, item, version):
    # crossfeed caps a date in the future at the time of the fetch (an item cannot come from
    # the future; a wrong clock must not pin it to the top of every list).
    return field in ("published", "updated") and want is not None and got is not None \
        and want > got and abs(got - datetime.now().timestamp()) < 3600


def _guid_not_permalink_link(field, want, got, entry, item, version):
    # feedparser makes a permalink guid the link of an item without <link>; so does crossfeed,
    # but only when isPermaLink is not "false" and the guid is an http(s) URL.
    return field == "link" and want is not None and got is None and want == entry.get("id")


def _absolute_url(field, want, got, entry, item, version):
    # crossfeed makes every link absolute, against xml:base or the feed's own URL (here the
    # file's); feedparser, given a file, has no URL to resolve against.
    if field == "link" and want and got:
        return not urlsplit(want).scheme and got.endswith(want.lstrip("/."))
    if field == "enclosures" and want and got and len(want) == len(got):
        return all(w.startswith(":///") for w in want - got)
    return False


def _iri_encoded(field, want, got, entry, item, version):
    # crossfeed percent-encodes a link written as an IRI or with spaces (RFC 3987 section 3.1),
    # as a URL parser must; feedparser keeps the characters as written.
    return field == "link" and bool(want and got) and unquote(got) == want


def _charset_sniffed(field, want, got, entry, item, version):
    # GBK or Big5 bytes without a (true) declaration: crossfeed detects the charset, feedparser
    # falls back to a Latin-1 reading.
    if field != "title" or not (want and got):
        return False
    for wrong in ("latin-1", "cp1252"):
        for right in ("gb18030", "big5"):
            try:
                if want.encode(wrong).decode(right) == got:
                    return True
            except (UnicodeEncodeError, UnicodeDecodeError):
                pass
    return False


def _http_links_only(field, want, got, entry, item, version):
    # Only http(s) links are kept: a javascript: or mailto: link is no article.
    return field == "link" and bool(want) and got is None and \
        urlsplit(want).scheme.lower() not in ("http", "https")


def _controls_and_scripts_dropped(field, want, got, entry, item, version):
    # Control characters and the text of <script> elements are not part of a title.
    if field != "title" or not (want and got):
        return False
    cleaned = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", "", want)
    cleaned = re.sub(r"<script\b.*?</script>", "", cleaned, flags=re.S | re.I)
    return folded(cleaned) == got


def _atom_author_inherited(field, want, got, entry, item, version):
    # An Atom entry without an author has the feed's (RFC 4287 section 4.2.1).
    return field == "authors" and want is None and bool(got) and version.startswith("atom")


def _media_credit_author(field, want, got, entry, item, version):
    # A media:credit names the author of an RSS item that names none (feedparser keeps it apart).
    return field == "authors" and want is None and bool(got) and bool(entry.get("media_credit"))


def _rdf_about_link(field, want, got, entry, item, version):
    # An http(s) rdf:about is the link of an RSS 1.0 item that has no <link>.
    return field == "link" and want is None and bool(got) and got == entry.get("id")


def _text_construct_is_text(field, want, got, entry, item, version):
    # An Atom text construct of a media type other than text, html or xhtml is read as text
    # (RFC 4287 section 3.1 allows only those three there); feedparser decodes it as base64.
    if field != "title" or not (want and got):
        return False
    try:
        decoded = plain(base64.b64decode(got, validate=True).decode("utf-8"))
        return decoded in (plain(want), folded(want))
    except (binascii.Error, ValueError):
        return False


CONVENTIONS = [
    ("Atom text construct of another type read as text", _text_construct_is_text),
    ("links made absolute", _absolute_url),
    ("IRI links percent-encoded", _iri_encoded),
    ("undeclared charset detected", _charset_sniffed),
    ("only http(s) links", _http_links_only),
    ("control characters and script text dropped", _controls_and_scripts_dropped),
    ("Atom entry inherits the feed's author", _atom_author_inherited),
    ("rdf:about as the link of an item without one", _rdf_about_link),
    ("media:credit as the author of an item without one", _media_credit_author),
    ("media:content listed among enclosures", _media_enclosures),
    ("extension author only without own author", _extension_author_added),
    ("itunes:keywords only without own categories", _keywords_beside_categories),
    ("itunes:title/media:title as title", _itunes_title),
    ("dc:date read as published", _dc_date_published),
    ("future date capped at fetch time", _future_date_clamped),
    ("only an http(s) permalink guid is a link", _guid_not_permalink_link),
]

# feedparser-corpus tests left out, with the reason: the standard is not clear, the test is
# about a format crossfeed does not read, or it needs feedparser's own HTTP test server.
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


def pairs(theirs, mine):
    """(feedparser entry, our item or None) for each of feedparser's entries."""
    if mine is None:
        return [(e, None) for e in theirs]
    if len(theirs) == len(mine):
        return list(zip(theirs, mine))
    by_id = {(i.get("guid") or "").strip(): i for i in mine if i.get("guid")}
    by_link = {canonical_url(i.get("link")): i for i in mine if i.get("link")}
    out = []
    for e in theirs:
        item = by_id.get((e.get("id") or "").strip()) or by_link.get(canonical_url(e.get("link")))
        out.append((e, item))
    return out


def wanted_fields(path, broad):
    """The fields to compare for each entry index, or None for every field of every entry."""
    with open(path, "rb") as f:
        head = f.read(4096).decode("utf-8", "replace")
    m = re.search(r"Expect:\s*(.*)", head)
    if not m or broad:
        return None
    wanted = set()
    for n, key in re.findall(r"entries\[(\d+)\]\[.(\w+).\]", m.group(1)):
        for field, keys in EXPECT_KEYS.items():
            if key in keys:
                wanted.add((int(n), field))
    return wanted


def has_expect(path):
    with open(path, "rb") as f:
        return b"Expect:" in f.read(4096)


def main():
    broad = "--broad" in sys.argv
    quiet = "--quiet" in sys.argv
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if not args:
        sys.exit(__doc__)
    folder = args[0]
    binary = args[1] if len(args) > 1 else (
        "target/release/crossfeed" if os.path.exists("target/release/crossfeed")
        else "target/debug/crossfeed")
    agree, total, conventional = Counter(), Counter(), Counter()
    by_convention = Counter()
    misses, refused = [], []
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        for name in sorted(files):
            path = os.path.join(root, name)
            rel = os.path.relpath(path, folder)
            expect = has_expect(path)
            if expect:
                if rel.split(os.sep)[0] in SKIPPED_DIRS or name in UNCLEAR:
                    continue
                if name in FEEDPARSER_WRONG:
                    print(f"{rel}: feedparser wrong ({FEEDPARSER_WRONG[name]}); not counted")
                    continue
                # Served by feedparser's test HTTP server with headers these files name.
                if name.startswith("http_"):
                    continue
            wanted = wanted_fields(path, broad) if expect else None
            if wanted is not None and not wanted:
                continue
            fp = feedparser.parse(path)
            mine = ours(path, binary)
            if mine is None and fp.entries:
                refused.append(rel)
            for n, (entry, item) in enumerate(pairs(fp.entries, mine)):
                for field in FIELDS:
                    if wanted is not None and (n, field) not in wanted:
                        continue
                    want = theirs_value(entry, field)
                    got = our_value(item, field) if item else None
                    if wanted is None and want is None and got is None:
                        continue
                    total[field] += 1
                    if same(field, want, got):
                        agree[field] += 1
                        continue
                    convention = next(
                        (c for c, test in CONVENTIONS if item and test(field, want, got, entry, item, fp.version or "")),
                        None)
                    if convention:
                        conventional[field] += 1
                        by_convention[convention] += 1
                    else:
                        misses.append((rel, n, field, want, got))
    if not quiet:
        for rel, n, field, want, got in misses:
            show = lambda v: sorted(v) if isinstance(v, frozenset) else v
            print(f"{rel} [{n}] {field}: feedparser {show(want)!r}, crossfeed {show(got)!r}")
        for rel in refused:
            print(f"{rel}: crossfeed refused a document feedparser read entries from")
    print()
    # rate: agreement; explained: agreement or a convention difference listed below.
    print(f"{'field':<12} {'agree':>7} {'convention':>11} {'differ':>7} {'compared':>9} {'rate':>6} "
          f"{'explained':>9}")
    for field in FIELDS + ["all"]:
        a = sum(agree.values()) if field == "all" else agree[field]
        c = sum(conventional.values()) if field == "all" else conventional[field]
        t = sum(total.values()) if field == "all" else total[field]
        if t:
            print(f"{field:<12} {a:>7} {c:>11} {t - a - c:>7} {t:>9} {a / t:>6.3f} "
                  f"{(a + c) / t:>9.3f}")
    if by_convention:
        print("\nconvention differences:")
        for name, count in by_convention.most_common():
            print(f"  {count:>5}  {name}")
    if refused:
        print(f"\n{len(refused)} documents refused by crossfeed that feedparser read entries from")


if __name__ == "__main__":
    main()
