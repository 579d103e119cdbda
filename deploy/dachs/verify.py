#!/usr/bin/env python3
"""Smoke-test the local DaCHS set up by scripts/setup-dachs.sh with pyvo.

    /work/main/.venv/bin/python deploy/dachs/verify.py [BASE_URL]

Exits non-zero on the first failed check.
"""

import sys
import time

import pyvo

BASE = (sys.argv[1] if len(sys.argv) > 1 else "http://localhost:8080").rstrip("/")
TAP_URL = BASE + "/tap"
SCS_URL = BASE + "/esaptest/q/cone/scs.xml"
SIA2_URL = BASE + "/__system__/siap2/sitewide/siap2.xml"


def check(cond, msg):
    print(("ok    " if cond else "FAIL  ") + msg)
    if not cond:
        sys.exit(1)


def main():
    tap = pyvo.dal.TAPService(TAP_URL)

    res = tap.run_sync("SELECT TOP 5 * FROM ivoa.obscore"
        " WHERE obs_collection='esaptest-images'")
    check(len(res) == 5, "sync TAP obscore query returns 5 rows")

    counts = {r["obs_collection"]: int(r["n"]) for r in tap.run_sync(
        "SELECT obs_collection, COUNT(*) AS n FROM ivoa.obscore"
        " GROUP BY obs_collection")}
    check(counts.get("esaptest-images") == 200
        and counts.get("esaptest-cubes") == 100,
        "obscore collection counts %s" % counts)

    n = tap.run_sync("SELECT COUNT(*) AS n FROM ivoa.obscore WHERE"
        " 1=CONTAINS(POINT('ICRS', s_ra, s_dec),"
        " CIRCLE('ICRS', 200.0, 50.0, 2.0))")[0]["n"]
    check(n == 79, "obscore rows within 2 deg of (200,50): %s" % n)

    res = tap.run_sync("SELECT target_name FROM ivoa.obscore"
        " WHERE target_name='Barnard''s Star'")
    check(len(res) == 6, "apostrophe target name query: %d rows" % len(res))
    res = tap.run_sync("SELECT target_name FROM ivoa.obscore"
        " WHERE target_name='\u03a9 Cen'")
    # ivoa.obscore.target_name is VOTable char: DaCHS writes '?' for
    # non-ASCII characters; esaptest.images.target_name is unicodeChar.
    check(len(res) == 6 and res[0]["target_name"] == "? Cen",
        "non-ASCII target name in ivoa.obscore: %d rows, %r" % (
            len(res), res[0]["target_name"]))
    res = tap.run_sync("SELECT target_name FROM esaptest.images"
        " WHERE target_name='\u03a9 Cen'")
    check(len(res) == 6 and res[0]["target_name"] == "\u03a9 Cen",
        "non-ASCII target name in esaptest.images: %d rows, %r" % (
            len(res), res[0]["target_name"]))

    tables = {t.name: t for t in tap.tables}
    check("ivoa.obscore" in tables and "esaptest.sources" in tables,
        "VOSI tables list ivoa.obscore and esaptest.sources")
    cols = {c.name: c for c in tables["esaptest.sources"].columns}
    check(cols["ra"].unit == "deg" and cols["ra"].ucd == "pos.eq.ra;meta.main"
        and cols["mag"].unit == "mag",
        "esaptest.sources column units/UCDs: %s" % [
            (c.name, c.unit, c.ucd) for c in cols.values()])

    t0 = time.time()
    res = pyvo.dal.SCSService(SCS_URL).search(pos=(150.0, 2.0), radius=1.0)
    check(len(res) == 11000, "SCS 1 deg around (150,2): %d rows (%.1fs)" % (
        len(res), time.time() - t0))

    res = tap.run_sync("SELECT * FROM esaptest.sources", maxrec=20000)
    check(len(res) == 12000, "sync TAP full sources table: %d rows" % len(res))

    job = tap.submit_job("SELECT * FROM esaptest.sources WHERE"
        " 1=CONTAINS(POINT('ICRS', ra, dec), CIRCLE('ICRS', 150.0, 2.0, 0.5))")
    job.run()
    job.wait(phases=["COMPLETED", "ERROR", "ABORTED"], timeout=120)
    check(job.phase == "COMPLETED", "async TAP job phase %s" % job.phase)
    res = job.fetch_result()
    check(len(res) == 2720, "async TAP result: %d rows" % len(res))
    job.delete()

    for fmt in ["votable/b2", "votable", "votable/td", "csv", "tsv",
            "application/x-votable+xml;serialization=BINARY2", "json",
            "text/csv", "fits", "html"]:
        r = tap._session.get(TAP_URL + "/sync", params={
            "REQUEST": "doQuery", "LANG": "ADQL", "RESPONSEFORMAT": fmt,
            "QUERY": "SELECT TOP 3 id, ra FROM esaptest.sources"})
        print("      RESPONSEFORMAT=%-50s -> %s %s" % (
            fmt, r.status_code, r.headers.get("content-type")))
    res = tap.run_sync("SELECT TOP 3 * FROM esaptest.sources",
        responseformat="votable/b2")
    check(len(res) == 3, "RESPONSEFORMAT=votable/b2 via pyvo")

    res = pyvo.dal.SIA2Service(SIA2_URL, check_baseurl=False).search(
        pos=(200.0, 50.0, 0.5))
    check(len(res) > 0, "SIAv2 sitewide around (200,50,r=0.5): %d rows"
        % len(res))
    print("all checks passed")


if __name__ == "__main__":
    main()
