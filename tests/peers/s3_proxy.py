"""A small HTTP proxy in front of an S3 endpoint (moto), for tests and
benchmarks only: it counts every request with the bytes that went each way,
and on chosen requests injects faults - an error status (500, 503 SlowDown),
a connection dropped before or after the request reached the store, a slow
answer, a body cut short - or strips a request header (a store that ignores
If-None-Match). It listens on 127.0.0.1; clients point their S3 endpoint at
it instead of at the store.

    with S3Proxy(moto.port) as proxy:
        proxy.add(Fault("drop_after", method="PUT", path=r"/metadata/v2\\.metadata\\.json$"))
        ... run ice with AWS_ENDPOINT_URL=proxy.endpoint ...
        proxy.log        # [Request(method, path, status, sent, received, fault, conn), ...]
        proxy.connections  # client connections accepted since the last reset

It also counts the client connections it accepted, and each request names
the connection it came on (Request.conn), so a test can tell whether a
client reuses keep-alive connections or opens one per request.
"""
import http.client
import re
import socket
import threading
import time
from dataclasses import dataclass, field

from rest_fixture import free_port


@dataclass
class Fault:
    """What to do to matching requests. `action` is one of:
    status   answer `status` with an S3 error document of `code`, not forwarding
    drop     close the connection without forwarding (the store never sees it)
    drop_after  forward it, then close without answering (it landed; the client cannot tell)
    delay    wait `seconds`, then forward
    truncate forward, then send the head and half the body and close
    strip    forward without the headers named in `headers`
    `skip` matching requests pass first; then the fault hits `times` of them
    (None: all)."""
    action: str
    method: str = None
    path: str = None  # a regular expression searched in the request target
    status: int = 503
    code: str = "SlowDown"
    seconds: float = 0.0
    headers: tuple = ()
    skip: int = 0
    times: int = 1
    hits: int = field(default=0, init=False)
    seen: int = field(default=0, init=False)

    def matches(self, method, target):
        if self.method and self.method != method:
            return False
        if self.path and not re.search(self.path, target):
            return False
        self.seen += 1
        if self.seen <= self.skip:
            return False
        if self.times is not None and self.hits >= self.times:
            return False
        self.hits += 1
        return True


@dataclass
class Request:
    method: str
    target: str
    status: int
    sent: int      # request body bytes
    received: int  # response body bytes
    fault: str = None
    conn: int = 0  # which accepted connection (numbered from 1) it came on


def _read_head(sock, buf):
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            return None, buf
        buf += chunk
    head, rest = buf.split(b"\r\n\r\n", 1)
    return head, rest


def _read_exact(sock, buf, n):
    while len(buf) < n:
        chunk = sock.recv(max(65536, n - len(buf)))
        if not chunk:
            raise ConnectionError("client closed mid-body")
        buf += chunk
    return buf[:n], buf[n:]


def _read_chunked(sock, buf):
    body = b""
    while True:
        while b"\r\n" not in buf:
            chunk = sock.recv(65536)
            if not chunk:
                raise ConnectionError("client closed mid-chunk")
            buf += chunk
        line, buf = buf.split(b"\r\n", 1)
        size = int(line.split(b";")[0], 16)
        data, buf = _read_exact(sock, buf, size + 2)
        body += data[:size]
        if size == 0:
            # trailers end with an empty line
            while not buf.startswith(b"\r\n") and b"\r\n\r\n" not in buf:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                buf += chunk
            buf = buf.split(b"\r\n", 1)[1] if buf.startswith(b"\r\n") else buf.split(b"\r\n\r\n", 1)[1]
            return body, buf


class S3Proxy:
    def __init__(self, upstream_port, port=None):
        self.upstream_port = upstream_port
        self.port = port or free_port()
        self.faults = []
        self.log = []
        self._lock = threading.Lock()
        self._stop = False
        self._sock = None
        self._threads = []
        self._conns = set()
        self.connections = 0  # accepted since the last reset
        self._conn_seq = 0

    @property
    def endpoint(self):
        return f"http://127.0.0.1:{self.port}"

    def add(self, fault: Fault) -> Fault:
        with self._lock:
            self.faults.append(fault)
        return fault

    def clear(self):
        with self._lock:
            self.faults = []
            self.log = []
            self.connections = 0

    def reset_log(self):
        """Forgets the requests and the connections counted so far (a
        client connection still open is not counted again)."""
        with self._lock:
            self.log = []
            self.connections = 0

    def totals(self):
        """(requests, response bytes, request bytes) since the last reset."""
        with self._lock:
            return len(self.log), sum(r.received for r in self.log), sum(r.sent for r in self.log)

    def start(self):
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", self.port))
        self._sock.listen(128)
        self._sock.settimeout(0.2)
        t = threading.Thread(target=self._accept, daemon=True)
        t.start()
        self._threads.append(t)
        return self

    def stop(self):
        self._stop = True
        for t in self._threads:
            t.join(5)
        for c in list(self._conns):
            try:
                c.close()
            except OSError:
                pass
        if self._sock:
            self._sock.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def _accept(self):
        while not self._stop:
            try:
                c, _ = self._sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            with self._lock:
                self.connections += 1
                self._conn_seq += 1
                seq = self._conn_seq
            self._conns.add(c)
            threading.Thread(target=self._serve, args=(c, seq), daemon=True).start()

    def _fault_for(self, method, target):
        with self._lock:
            for f in self.faults:
                if f.matches(method, target):
                    return f
        return None

    def _serve(self, c, seq):
        buf = b""
        try:
            while not self._stop:
                head, buf = _read_head(c, buf)
                if head is None:
                    return
                lines = head.decode("latin-1").split("\r\n")
                method, target, _ = lines[0].split(" ", 2)
                headers = []
                for ln in lines[1:]:
                    k, v = ln.split(":", 1)
                    headers.append((k.strip(), v.strip()))
                hmap = {k.lower(): v for k, v in headers}
                if "content-length" in hmap:
                    body, buf = _read_exact(c, buf, int(hmap["content-length"]))
                elif hmap.get("transfer-encoding", "").lower() == "chunked":
                    body, buf = _read_chunked(c, buf)
                    headers = [(k, v) for k, v in headers if k.lower() != "transfer-encoding"]
                    headers.append(("Content-Length", str(len(body))))
                else:
                    body = b""
                fault = self._fault_for(method, target)
                action = fault.action if fault else None
                rec = Request(method, target, 0, len(body), 0, action, seq)
                with self._lock:
                    self.log.append(rec)
                if action == "drop":
                    c.close()
                    return
                if action == "status":
                    doc = (f"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{fault.code}</Code>"
                           f"<Message>injected</Message></Error>").encode()
                    rec.status = fault.status
                    c.sendall(f"HTTP/1.1 {fault.status} Injected\r\nContent-Type: application/xml\r\n"
                              f"Content-Length: {len(doc)}\r\n\r\n".encode() + (doc if method != "HEAD" else b""))
                    rec.received = len(doc)
                    continue
                if action == "delay":
                    time.sleep(fault.seconds)
                if action == "strip":
                    drop = {h.lower() for h in fault.headers}
                    headers = [(k, v) for k, v in headers if k.lower() not in drop]
                status, rheaders, rbody = self._forward(method, target, headers, body)
                rec.status = status
                rec.received = len(rbody)
                if action == "drop_after":
                    c.close()
                    return
                out = [f"HTTP/1.1 {status} X"]
                for k, v in rheaders:
                    if k.lower() in ("transfer-encoding", "connection", "content-length"):
                        continue
                    out.append(f"{k}: {v}")
                if action == "truncate":
                    out.append(f"Content-Length: {len(rbody)}")
                    c.sendall(("\r\n".join(out) + "\r\n\r\n").encode("latin-1") + rbody[: len(rbody) // 2])
                    rec.received = len(rbody) // 2
                    c.close()
                    return
                if method == "HEAD":
                    cl = dict((k.lower(), v) for k, v in rheaders).get("content-length", "0")
                    out.append(f"Content-Length: {cl}")
                    c.sendall(("\r\n".join(out) + "\r\n\r\n").encode("latin-1"))
                else:
                    out.append(f"Content-Length: {len(rbody)}")
                    c.sendall(("\r\n".join(out) + "\r\n\r\n").encode("latin-1") + rbody)
        except (ConnectionError, OSError, ValueError):
            pass
        finally:
            self._conns.discard(c)
            try:
                c.close()
            except OSError:
                pass

    def _forward(self, method, target, headers, body):
        up = http.client.HTTPConnection("127.0.0.1", self.upstream_port, timeout=60)
        try:
            up.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
            for k, v in headers:
                up.putheader(k, v)
            up.endheaders(body if body else None)
            r = up.getresponse()
            data = r.read()
            return r.status, r.getheaders(), data
        finally:
            up.close()
