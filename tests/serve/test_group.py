"""Group commits: commits to one table that queue up while another is being
written are applied one after the other on the table's metadata and
published as one version (lib/serve/commit.c). What must hold whether or not
a given set of commits was grouped (the tests make grouping likely by slowing
the server's file system calls, and say how many versions they saw, but
never depend on it):

- each commit is judged as if alone, in arrival order: failed requirements
  are 409, updates that cannot apply 400, neither changes the table, the
  others land;
- every 200 answer names a metadata file that exists and holds exactly the
  metadata answered, with the commit's own change in it;
- the metadata log names published files only, each previous version once;
- what another writer committed directly (ice) is never lost or hidden: a
  served commit after it answers with it, a load shows it;
- two servers on one warehouse never both win a version: every commit
  either answers acknowledged and is in the one history, or fails.
"""
import csv
import json
import threading
import time

import serve_support as S

from support import fault_env

SCHEMA = {"type": "struct", "fields": [{"id": 1, "name": "id", "type": "long", "required": True},
                                       {"id": 2, "name": "who", "type": "string", "required": False}]}


def make(uri, ns, name):
    h = S.Http(uri)
    st, _ = h.req("POST", "/v1/namespaces", {"namespace": [ns]})
    assert st in (200, 409)
    st, body = h.req("POST", f"/v1/namespaces/{ns}/tables", {"name": name, "schema": SCHEMA})
    assert st == 200, body
    h.close()
    return body["metadata"]["location"]


def snapshot(loc, sid, parent, seq, tag="g"):
    s = {"snapshot-id": sid, "sequence-number": seq, "timestamp-ms": int(time.time() * 1000),
         "manifest-list": f"{loc}/metadata/snap-{sid}-{tag}.avro",
         "summary": {"operation": "append"}, "schema-id": 0}
    if parent is not None:
        s["parent-snapshot-id"] = parent
    return s


def add_snapshot(loc, sid, parent, seq, tag="g"):
    return {"requirements": [{"type": "assert-ref-snapshot-id", "ref": "main", "snapshot-id": parent}],
            "updates": [{"action": "add-snapshot", "snapshot": snapshot(loc, sid, parent, seq, tag)},
                        {"action": "set-snapshot-ref", "ref-name": "main", "type": "branch", "snapshot-id": sid}]}


def props(**kv):
    return {"requirements": [], "updates": [{"action": "set-properties", "updates": kv}]}


def versions(table_dir):
    return sorted((p for p in (table_dir / "metadata").iterdir()
                   if p.name.startswith("v") and p.name.endswith(".metadata.json")),
                  key=lambda p: int(p.name[1:].split(".")[0]))


def check_answer(body):
    """A 200 answer names a file holding exactly the metadata answered."""
    loc = body["metadata-location"]
    with open(loc.removeprefix("file://")) as f:
        assert json.load(f) == body["metadata"], loc


def check_log(table_dir):
    """The current version's metadata log names each earlier version once,
    and nothing else."""
    vs = versions(table_dir)
    current = json.loads(vs[-1].read_text())
    logged = [e["metadata-file"].removeprefix("file://") for e in current["metadata-log"]]
    assert logged == [str(p) for p in vs[:-1]], (logged, [p.name for p in vs])


def fire(uri, path, bodies, delay=0.0):
    """Sends each body from its own connection at once (after `delay`);
    returns [(status, body)] in the order given."""
    out = [None] * len(bodies)

    def one(i):
        h = S.Http(uri)
        try:
            out[i] = h.req("POST", path, bodies[i])
        finally:
            h.close()
    ts = [threading.Thread(target=one, args=(i,)) for i in range(len(bodies))]
    time.sleep(delay)
    for t in ts:
        t.start()
    return ts, out


def test_each_commit_of_a_group_is_judged_alone(tmp_path):
    env = fault_env(ICE_FAULT_SLOW_US=20000)  # every file system change takes 20 ms
    with S.IceServe(tmp_path / "wh", env=env) as srv:
        loc = make(srv.uri, "g", "t")
        table_dir = srv.warehouse / "g" / "t"
        path = "/v1/namespaces/g/tables/t"
        # A first commit, being written while the others queue behind it.
        first_ts, first = fire(srv.uri, path, [props(a="1")])
        time.sleep(0.05)
        bodies = [
            {"requirements": [{"type": "assert-ref-snapshot-id", "ref": "main", "snapshot-id": 12345}],
             "updates": [{"action": "set-properties", "updates": {"never": "1"}}]},       # 409: main is no such snapshot
            props(c1="1"),
            {"requirements": [], "updates": [{"action": "add-snapshot", "snapshot": {
                **snapshot(loc, 66, None, 1), "manifest-list": "/etc/passwd"}}]},          # 400: outside the table
            add_snapshot(loc, 77, None, 1, "e"),                                          # one of these two wins,
            add_snapshot(loc, 88, None, 1, "f"),                                          # the other is 409
            props(c2="2"),
            {"requirements": [], "updates": [
                {"action": "remove-properties", "removals": ["write.parquet.compression-codec"]},
                {"action": "set-properties", "updates": {"c3": "3"}}]},
        ]
        ts, out = fire(srv.uri, path, bodies)
        for t in first_ts + ts:
            t.join()
        assert first[0][0] == 200, first
        st = [o[0] for o in out]
        assert st[0] == 409 and S.error_type(out[0][1]) == "CommitFailedException", out[0]
        assert st[2] == 400 and "outside" in out[2][1]["error"]["message"], out[2]
        assert sorted([st[3], st[4]]) == [200, 409], (st[3], st[4], out[3][1], out[4][1])
        winner = 77 if st[3] == 200 else 88
        assert st[1] == st[5] == st[6] == 200, out
        for o in [first[0]] + [o for o in out if o[0] == 200]:
            check_answer(o[1])
        # each answer holds its own change
        assert out[1][1]["metadata"]["properties"]["c1"] == "1"
        assert out[5][1]["metadata"]["properties"]["c2"] == "2"
        assert "write.parquet.compression-codec" not in out[6][1]["metadata"]["properties"]
        assert any(s["snapshot-id"] == winner for s in out[3 if winner == 77 else 4][1]["metadata"]["snapshots"])
        # the table: every landed change, none of the refused ones
        h = S.Http(srv.uri)
        st, body = h.req("GET", path)
        h.close()
        md = body["metadata"]
        p = md["properties"]
        assert (p.get("a"), p.get("c1"), p.get("c2"), p.get("c3")) == ("1", "1", "2", "3"), p
        assert "never" not in p and "write.parquet.compression-codec" not in p
        assert [s["snapshot-id"] for s in md["snapshots"]] == [winner]
        assert md["refs"]["main"]["snapshot-id"] == winner
        check_log(table_dir)
        n = len(versions(table_dir))
        print(f"\n7 commits landed as {n - 1} versions after the create")


def test_a_publish_that_fails_fails_every_commit_of_its_group(tmp_path):
    with S.IceServe(tmp_path / "wh") as srv:
        make(srv.uri, "g", "t")
    before = S.tree(tmp_path / "wh" / "g" / "t" / "metadata")
    # Every metadata file's link fails with EIO before linking: no version lands.
    env = fault_env(ICE_FAULT_SLOW_US=20000, ICE_FAULT_LINK="before")
    with S.IceServe(tmp_path / "wh", env=env) as srv:
        ts, out = fire(srv.uri, "/v1/namespaces/g/tables/t", [props(**{f"k{i}": "v"}) for i in range(5)])
        for t in ts:
            t.join()
        for st, body in out:
            assert st == 500 and S.error_type(body) == "InternalServerError", (st, body)
        assert S.tree(tmp_path / "wh" / "g" / "t" / "metadata") == before
        h = S.Http(srv.uri)
        st, body = h.req("GET", "/v1/namespaces/g/tables/t")
        h.close()
        assert st == 200 and not any(k.startswith("k") for k in body["metadata"]["properties"])


def test_a_direct_ice_commit_between_served_commits_is_seen(server, tmp_path):
    make(server.uri, "direct", "t")
    path = "/v1/namespaces/direct/tables/t"
    h = S.Http(server.uri)
    st, one = h.req("POST", path, props(x="1"))
    assert st == 200
    f = tmp_path / "rows.csv"
    with open(f, "w", newline="") as fh:
        csv.writer(fh).writerows([["id", "who"], [1, "ice"], [2, "ice"]])
    S.ice("--catalog", server.warehouse, "append", "direct.t", f)
    # a load shows ice's snapshot at once
    st, loaded = h.req("GET", path)
    assert st == 200
    ice_snap = loaded["metadata"]["current-snapshot-id"]
    assert ice_snap and ice_snap not in [s["snapshot-id"] for s in one["metadata"].get("snapshots", [])]
    # the next served commit is made on top of it
    st, two = h.req("POST", path, props(y="2"))
    assert st == 200
    check_answer(two)
    md = two["metadata"]
    assert md["current-snapshot-id"] == ice_snap and md["properties"]["x"] == "1" and md["properties"]["y"] == "2"
    # a served commit that requires the state before ice's append loses
    st, body = h.req("POST", path, {
        "requirements": [{"type": "assert-ref-snapshot-id", "ref": "main", "snapshot-id": None}],
        "updates": [{"action": "set-properties", "updates": {"stale": "1"}}]})
    assert st == 409 and S.error_type(body) == "CommitFailedException"
    st, loaded = h.req("GET", path)
    h.close()
    assert "stale" not in loaded["metadata"]["properties"]
    rows = S.pyiceberg_catalog(server.uri).load_table("direct.t").scan().to_arrow().to_pylist()
    assert sorted(r["id"] for r in rows) == [1, 2]
    check_log(server.warehouse / "direct" / "t")


def test_two_servers_on_one_warehouse_never_both_win(tmp_path):
    wh = tmp_path / "wh"
    with S.IceServe(wh) as a, S.IceServe(wh) as b:
        loc = make(a.uri, "two", "t")
        acked, lock = [], threading.Lock()
        path = "/v1/namespaces/two/tables/t"

        def writer(uri, w, n):
            h = S.Http(uri)
            for k in range(n):
                sid = (w + 1) * 1000 + k
                while True:  # optimistic: load, commit on what was loaded, again on 409
                    st, body = h.req("GET", path)
                    assert st == 200, body
                    md = body["metadata"]
                    parent = md.get("current-snapshot-id")
                    parent = None if parent in (None, -1) else parent
                    st, body = h.req("POST", path, add_snapshot(loc, sid, parent, md["last-sequence-number"] + 1))
                    if st == 200:
                        check_answer(body)
                        with lock:
                            acked.append(sid)
                        break
                    assert st == 409, (st, body)
            h.close()
        ts = [threading.Thread(target=writer, args=(a.uri if w % 2 else b.uri, w, 15)) for w in range(6)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        h = S.Http(b.uri)
        st, body = h.req("GET", path)
        h.close()
        md = body["metadata"]
        # one history holding every acknowledged commit exactly once
        chain, sid = [], md["current-snapshot-id"]
        by_id = {s["snapshot-id"]: s for s in md["snapshots"]}
        while sid is not None:
            chain.append(sid)
            sid = by_id[sid].get("parent-snapshot-id")
        assert sorted(chain) == sorted(acked) and len(acked) == 90, (len(chain), len(acked))
        assert sorted(by_id) == sorted(acked)
        check_log(wh / "two" / "t")
