"""A scriptable REST catalog server for failure tests (test code only, on
127.0.0.1). By default it is a small working catalog over local table
directories - GET /v1/config, client credentials at /v1/oauth/tokens,
listings, loads, and commits applied with `ice metadata --apply` and
published as the next metadata file - so a test changes only what it
breaks: a route answered by a function of its own (malformed JSON, wrong
types, huge bodies, missing fields, 5xx, a dropped connection, a stall, a
redirect), tokens that expire, endpoints left out of the config.

    with Hostile(tmp_path) as h:
        h.add_table("db.t", table_dir)
        h.on("POST", r"/v1/namespaces/db/tables/t$", lambda req: req.reply(503, {...}))
        ice("--catalog", h.uri, "append", "db.t", "x.csv")

Every request is logged (method, path, headers, body, the client's port) in h.log.
"""
import json
import pathlib
import re
import subprocess
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from rest_support import ice_bin, local_path


def error_doc(code, type_, message):
    return {"error": {"message": message, "type": type_, "code": code}}


class Request:
    """What a route function gets: the request, and ways to answer it."""

    def __init__(self, handler, body):
        self.h = handler
        self.method = handler.command
        url = urllib.parse.urlsplit(handler.path)
        self.path = url.path
        self.query = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
        self.headers = handler.headers
        self.body = body

    def json(self):
        return json.loads(self.body)

    def reply(self, status, body=None, headers=None):
        if isinstance(body, (dict, list)):
            data = json.dumps(body).encode()
        elif isinstance(body, str):
            data = body.encode()
        else:
            data = body or b""
        self.h.send_response(status)
        hs = {"Content-Type": "application/json"}
        hs.update(headers or {})
        for k, v in hs.items():
            self.h.send_header(k, v)
        self.h.send_header("Content-Length", str(len(data)))
        self.h.end_headers()
        if self.method != "HEAD" and data:
            self.h.wfile.write(data)
        return True

    def drop(self):
        """Close the connection without an answer."""
        self.h.close_connection = True
        try:
            self.h.connection.shutdown(2)
        except OSError:
            pass
        return True

    def stall(self, seconds):
        time.sleep(seconds)
        return self.drop()


class Hostile:
    def __init__(self, workdir):
        self.workdir = pathlib.Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.tables = {}        # "ns.t" -> current metadata file (path)
        self.routes = []        # (method, compiled regex, fn)
        self.log = []
        self.config = {"defaults": {}, "overrides": {}}
        self.auth = False       # require a bearer token the token endpoint issued
        self.token_lifetime = None
        self.tokens = {}        # token -> expiry (monotonic seconds, or None)
        self.issued = 0
        self.token_form = []    # the forms the token endpoint received
        self.server = None
        self.lock = threading.Lock()

    # ---- control ---------------------------------------------------------------------

    @property
    def uri(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def on(self, method, pattern, fn):
        """Answer `method` requests whose path matches `pattern` with fn(req)
        (a function returning True once it answered; False falls through)."""
        self.routes.insert(0, (method, re.compile(pattern), fn))

    def add_table(self, identifier, table_dir):
        table_dir = pathlib.Path(table_dir)
        md = sorted((table_dir / "metadata").glob("v*.metadata.json"),
                    key=lambda p: int(re.match(r"v(\d+)", p.name).group(1)))
        self.tables[identifier] = md[-1]

    def requests(self, method=None, path=None):
        return [r for r in self.log if (method is None or r[0] == method) and (path is None or re.search(path, r[1]))]

    def start(self):
        hostile = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def handle_one(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else b""
                req = Request(self, body)
                with hostile.lock:
                    hostile.log.append((req.method, req.path, dict(self.headers), body, self.client_address[1]))
                for method, rx, fn in list(hostile.routes):
                    if method == req.method and rx.search(req.path) and fn(req):
                        return
                hostile.default(req)

            do_GET = do_POST = do_HEAD = do_DELETE = do_PUT = handle_one

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # ---- the working catalog -----------------------------------------------------------

    def authorized(self, req):
        if not self.auth or req.path == "/v1/oauth/tokens":
            return True
        value = req.headers.get("Authorization") or ""
        if not value.startswith("Bearer "):
            return False
        tok = value[7:]
        with self.lock:
            if tok not in self.tokens:
                return False
            exp = self.tokens[tok]
        return exp is None or time.monotonic() < exp

    def issue_token(self, req):
        form = dict(urllib.parse.parse_qsl(req.body.decode()))
        with self.lock:
            self.token_form.append(form)
            self.issued += 1
            tok = f"tok-{self.issued}"
            self.tokens[tok] = time.monotonic() + self.token_lifetime if self.token_lifetime else None
        doc = {"access_token": tok, "token_type": "bearer",
               "issued_token_type": "urn:ietf:params:oauth:token-type:access_token"}
        if self.token_lifetime:
            doc["expires_in"] = self.token_lifetime
        return req.reply(200, doc)

    def load_result(self, ident):
        loc = self.tables[ident]
        return {"metadata-location": str(loc), "metadata": json.loads(loc.read_text()), "config": {}}

    def commit(self, req, ident):
        body = req.json()
        cur = self.tables[ident]
        work = self.workdir / f"commit-{time.monotonic_ns()}"
        work.mkdir()
        (work / "updates.json").write_text(json.dumps(body["updates"]))
        (work / "reqs.json").write_text(json.dumps(body["requirements"]))
        p = subprocess.run([ice_bin(), "metadata", str(cur), "--apply", str(work / "updates.json"),
                            "--requirements", str(work / "reqs.json"), "--previous-location", "--compact"],
                           capture_output=True, text=True)
        if p.returncode == 3:
            return req.reply(409, error_doc(409, "CommitFailedException", p.stderr.strip()))
        if p.returncode != 0:
            return req.reply(400, error_doc(400, "BadRequestException", p.stderr.strip()))
        n = int(re.match(r"v(\d+)", cur.name).group(1)) + 1
        new = cur.parent / f"v{n}.metadata.json"
        with open(new, "x") as f:  # a racing commit loses
            f.write(p.stdout)
        (cur.parent / "version-hint.text").write_text(str(n))
        self.tables[ident] = new
        return req.reply(200, {"metadata-location": str(new), "metadata": json.loads(p.stdout)})

    def default(self, req):
        if not self.authorized(req):
            return req.reply(401, error_doc(401, "NotAuthorizedException", "Not authorized"))
        path = req.path
        if path == "/v1/config" and req.method == "GET":
            return req.reply(200, self.config)
        if path == "/v1/oauth/tokens" and req.method == "POST":
            return self.issue_token(req)
        if path == "/v1/namespaces" and req.method == "GET":
            nss = sorted({t.rsplit(".", 1)[0] for t in self.tables})
            return req.reply(200, {"namespaces": [ns.split(".") for ns in nss]})
        m = re.fullmatch(r"/v1/namespaces/([^/]+)/tables(?:/([^/]+)(/metrics)?)?", path)
        if m:
            ns = urllib.parse.unquote(m.group(1)).replace("\x1f", ".")
            if m.group(2) is None and req.method == "GET":
                names = sorted(t.rsplit(".", 1)[1] for t in self.tables if t.rsplit(".", 1)[0] == ns)
                return req.reply(200, {"identifiers": [{"namespace": ns.split("."), "name": n} for n in names]})
            ident = ns + "." + urllib.parse.unquote(m.group(2) or "")
            if m.group(3):
                return req.reply(204)
            if ident not in self.tables:
                return req.reply(404, error_doc(404, "NoSuchTableException", f"Table does not exist: {ident}"))
            if req.method == "GET":
                return req.reply(200, self.load_result(ident))
            if req.method == "HEAD":
                return req.reply(204)
            if req.method == "POST":
                with self.lock:
                    return self.commit(req, ident)
        return req.reply(404, error_doc(404, "NotFoundException", f"no route for {req.method} {path}"))


def metadata_files(table_dir):
    return sorted(pathlib.Path(table_dir, "metadata").glob("v*.metadata.json"))


__all__ = ["Hostile", "error_doc", "metadata_files", "local_path"]
