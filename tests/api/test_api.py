#!/usr/bin/env python3
"""test_api.py - the HTTP server, over loopback, with the standard library only.

Starts `labelops serve --port 0` (the server picks a free port and prints it), checks health,
metrics, the access log, the one error body and its statuses, limits, security headers, the
rate limit, graceful shutdown, that docs/openapi.yaml describes every route, and -- when the
build has accounts -- sign-in, cookie, CSRF, bearer tokens and the project routes. No timings:
every wait is for a condition (a line on stderr, a metric), bounded only as a safety net.

Prints "ok NAME" / "FAIL NAME: why" and ends with "N passed, N failed".
"""
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

LO = sys.argv[1]
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
passed = 0
failed = 0


def ok(name):
    global passed
    passed += 1
    print(f"ok   {name}", flush=True)


def ko(name, why):
    global failed
    failed += 1
    print(f"FAIL {name}: {why}", flush=True)


def check(name, cond, why=""):
    if cond:
        ok(name)
    else:
        ko(name, why)


class Server:
    """A labelops server on a free loopback port; always stopped by stop()."""

    def __init__(self, db, *extra, env=None):
        self.db = db
        self.tls = None
        if "--tls-cert" in extra:
            self.tls = extra[list(extra).index("--tls-cert") + 1]
        self.lines = []
        self.cv = threading.Condition()
        self.proc = subprocess.Popen([LO, "serve", "--db", db, "--port", "0", "--host",
                                      "127.0.0.1", *extra], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, env=env)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        first = self.wait_line(lambda l: '"listening"' in l or '"error"' in l)
        if not first or '"listening"' not in first:
            self.stop()
            raise RuntimeError(f"server did not start: {self.lines}")
        self.port = json.loads(first)["port"]

    def _read(self):
        for raw in self.proc.stderr:
            with self.cv:
                self.lines.append(raw.decode("utf-8", "replace").rstrip("\n"))
                self.cv.notify_all()
        with self.cv:
            self.cv.notify_all()

    def wait_line(self, pred, start=0, limit=60):
        deadline = time.monotonic() + limit  # a safety net, not a timing
        with self.cv:
            while True:
                for l in self.lines[start:]:
                    if pred(l):
                        return l
                if self.proc.poll() is not None and not self.reader.is_alive():
                    return None
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.cv.wait(left)

    def conn(self):
        if self.tls:
            import ssl
            ctx = ssl.create_default_context(cafile=self.tls)
            ctx.check_hostname = False  # the test certificate names 127.0.0.1 in its SAN anyway
            return http.client.HTTPSConnection("127.0.0.1", self.port, timeout=60, context=ctx)
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)

    def req(self, method, path, body=None, headers=None, conn=None):
        c = conn or self.conn()
        h = dict(headers or {})
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            h.setdefault("Content-Type", "application/json")
        elif isinstance(body, str):
            body = body.encode()
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        data = r.read()
        hdrs = {k.lower(): v for k, v in r.getheaders()}
        if conn is None:
            c.close()
        return r.status, hdrs, data

    def stop(self, sig=signal.SIGTERM):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        self.reader.join(10)
        return rc


def error_of(data):
    try:
        j = json.loads(data)
    except ValueError:
        return None
    if not isinstance(j, dict) or set(j) != {"error"} or not isinstance(j["error"], dict):
        return None
    e = j["error"]
    if not {"code", "message"} <= set(e) or not set(e) <= {"code", "message", "field"}:
        return None
    return e


def expect_error(name, got, status, code=None, field=None):
    st, hdrs, data = got
    e = error_of(data)
    if st != status:
        ko(name, f"status {st}, expected {status}: {data[:200]!r}")
    elif e is None:
        ko(name, f"not the error body: {data[:200]!r}")
    elif code and e["code"] != code:
        ko(name, f"code {e['code']}, expected {code}")
    elif field and e.get("field") != field:
        ko(name, f"field {e.get('field')}, expected {field}")
    elif hdrs.get("content-type", "").split(";")[0] != "application/json":
        ko(name, f"content type {hdrs.get('content-type')}")
    else:
        ok(name)


def raw_exchange(port, data, read=True):
    """Sends raw bytes on a new connection and returns (status, text) of the answer."""
    s = socket.create_connection(("127.0.0.1", port), timeout=60)
    try:
        s.sendall(data)
        if not read:
            return s
        buf = b""
        while b"\r\n\r\n" not in buf:
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
        head = buf.split(b"\r\n", 1)[0].decode()
        return int(head.split()[1]) if len(head.split()) > 1 else 0, buf.decode("latin-1")
    finally:
        if read:
            s.close()


def security_headers_ok(hdrs):
    csp = hdrs.get("content-security-policy", "")
    return ("frame-ancestors 'none'" in csp and "unsafe-inline" not in csp and
            hdrs.get("x-content-type-options") == "nosniff" and
            hdrs.get("referrer-policy") and hdrs.get("cache-control") == "no-store")


def routes():
    out = subprocess.run([LO, "serve", "--routes"], capture_output=True, text=True, check=True)
    return [tuple(l.split()[:3]) for l in out.stdout.splitlines() if l.strip()]


def openapi_operations(path):
    """(METHOD, /path) pairs of an OpenAPI 3 YAML file, read by indentation (no YAML library)."""
    ops = set()
    in_paths = False
    cur = None
    for line in open(path, encoding="utf-8"):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        indent = len(line) - len(line.lstrip(" "))
        text = line.strip()
        if indent == 0:
            in_paths = text == "paths:"
            continue
        if not in_paths:
            continue
        if indent == 2 and text.endswith(":"):
            cur = text[:-1].strip("'\"")
        elif indent == 4 and cur and text[:-1] in ("get", "post", "put", "patch", "delete"):
            ops.add((text[:-1].upper(), cur))
    return ops


def test_basics(srv):
    st, hdrs, data = srv.req("GET", "/healthz")
    check("healthz_answers_ok", st == 200 and json.loads(data) == {"status": "ok"}, f"{st} {data!r}")
    check("healthz_has_security_headers", security_headers_ok(hdrs), str(hdrs))
    check("every_response_has_a_request_id", len(hdrs.get("x-request-id", "")) >= 8, str(hdrs))

    got = srv.req("GET", "/no/such/route")
    expect_error("unknown_route_is_404", got, 404, "not_found")
    check("error_responses_have_security_headers", security_headers_ok(got[1]), str(got[1]))
    got = srv.req("PUT", "/healthz")
    expect_error("wrong_method_is_405", got, 405, "method_not_allowed")
    check("405_names_the_allowed_methods", got[1].get("allow") == "GET", str(got[1]))
    got = srv.req("PATCH", "/api/v1/projects")
    check("405_lists_every_method_of_the_path", got[0] == 405 and
          set(got[1].get("allow", "").split(", ")) == {"GET", "POST"}, str(got[1]))

    got = srv.req("GET", "/api/v1/projects")
    expect_error("projects_without_credentials_is_401", got, 401, "unauthenticated")
    got = srv.req("GET", "/api/v1/projects", headers={"Authorization": "Bearer lot_nonsense"})
    expect_error("bad_bearer_token_is_401", got, 401, "unauthenticated")
    got = srv.req("GET", "/api/v1/projects/x", headers={"Cookie": "lo_session=los_nonsense"})
    expect_error("bad_session_cookie_is_401", got, 401, "unauthenticated")


def test_bodies(srv):
    login = "/api/v1/session"
    got = srv.req("POST", login, b"{not json", {"Content-Type": "application/json"})
    expect_error("malformed_json_is_400", got, 400, "malformed")
    got = srv.req("POST", login, b'{"name":"a","name":"b","password":"x"}',
                  {"Content-Type": "application/json"})
    expect_error("duplicate_keys_are_rejected", got, 400, "malformed")
    got = srv.req("POST", login, b'{"name":"\xff\xfe","password":"x"}',
                  {"Content-Type": "application/json"})
    expect_error("invalid_utf8_is_rejected", got, 400, "malformed")
    got = srv.req("POST", login, b'{"name":"a","password":"x","n":1e400}',
                  {"Content-Type": "application/json"})
    expect_error("out_of_range_number_is_rejected", got, 400, "malformed")
    got = srv.req("POST", login, b'{"name":"a","password":"x","n":123456789012345678901234567890}',
                  {"Content-Type": "application/json"})
    expect_error("integer_beyond_int64_is_rejected", got, 400, "malformed")
    deep = b'{"name":"a","password":"x","d":' + b"[" * 100 + b"]" * 100 + b"}"
    got = srv.req("POST", login, deep, {"Content-Type": "application/json"})
    expect_error("nesting_beyond_the_limit_is_400", got, 400, "limit_exceeded")
    got = srv.req("POST", login, b'{"name":"a"}', {"Content-Type": "application/json"})
    expect_error("valid_json_failing_validation_is_422", got, 422, "invalid", "password")
    got = srv.req("POST", login, b'{"name":"a","password":"x","extra":1}',
                  {"Content-Type": "application/json"})
    expect_error("unknown_member_is_422_naming_it", got, 422, "invalid", "extra")
    got = srv.req("POST", login, b'["name"]', {"Content-Type": "application/json"})
    expect_error("non_object_body_is_422", got, 422, "invalid")
    got = srv.req("POST", login, b"name=a", {"Content-Type": "text/plain"})
    expect_error("wrong_content_type_is_415", got, 415, "unsupported_media_type")
    got = srv.req("POST", login, b"", {"Content-Type": "application/json"})
    expect_error("missing_body_is_400", got, 400, "malformed")

    # 413 before the body is read: only the headers are sent.
    st, text = raw_exchange(srv.port, b"POST /api/v1/session HTTP/1.1\r\nHost: x\r\n"
                            b"Content-Type: application/json\r\nContent-Length: 5000000\r\n\r\n")
    check("declared_big_body_is_413_before_reading", st == 413 and '"limit_exceeded"' in text,
          text[:300])
    # A chunked body with no length: counted, dropped, answered 413 at its end.
    chunk = b"x" * 65536
    body = b"".join(b"%x\r\n" % len(chunk) + chunk + b"\r\n" for _ in range(20)) + b"0\r\n\r\n"
    st, text = raw_exchange(srv.port, b"POST /api/v1/session HTTP/1.1\r\nHost: x\r\n"
                            b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                            + body)
    check("chunked_big_body_is_413", st == 413 and '"limit_exceeded"' in text, text[:300])
    got = srv.req("GET", "/healthz?" + "a" * 5000)
    expect_error("long_url_is_414", got, 414, "uri_too_long")
    got = srv.req("GET", "/healthz", headers={"X-Big-%d" % i: "v" * 1000 for i in range(20)})
    expect_error("big_headers_are_431", got, 431, "headers_too_large")


def test_no_leaks_in_errors(srv):
    bodies = []
    for path in ("/api/v1/projects/%2e%2e%2fetc", "/api/v1/projects/x/export?format=xml",
                 "/x'%3B%20DROP%20TABLE%20projects%3B--"):
        bodies.append(srv.req("GET", path)[2].decode("utf-8", "replace"))
    leak = [b for b in bodies if re.search(r"sqlite|SQL|/tmp/|\.db\b|\.c:\d+|Traceback", b)]
    check("errors_name_no_sql_paths_or_traces", not leak, str(leak))


def test_metrics_and_log(srv):
    st, hdrs, data = srv.req("GET", "/metrics")
    text = data.decode()
    check("metrics_is_prometheus_text", st == 200 and
          hdrs.get("content-type", "").startswith("text/plain; version=0.0.4"), str(hdrs))
    check("metrics_count_requests_by_route_and_status",
          'lo_http_requests_total{route="GET /healthz",status="200"}' in text and
          'lo_http_requests_total{route="unmatched",status="404"}' in text, text[:500])
    check("metrics_have_a_latency_histogram",
          'lo_http_request_duration_seconds_bucket{route="GET /healthz",le="+Inf"}' in text and
          "lo_http_request_duration_seconds_count" in text, text[:500])
    check("metrics_count_errors_by_code", 'lo_http_errors_total{code="not_found"}' in text, "")
    check("metrics_have_store_time", "lo_http_store_seconds_total" in text, "")
    line = srv.wait_line(lambda l: '"route":"GET /healthz"' in l and '"status":200' in l)
    try:
        j = json.loads(line or "")
        good = {"id", "route", "status", "user", "ms"} <= set(j)
    except ValueError:
        good = False
    check("access_log_is_one_json_line_per_request", good, str(line))


def test_rate_limit(tmp):
    srv = Server(os.path.join(tmp, "rate.db"), "--rate", "1", "--burst", "3", "--quiet")
    try:
        sts = [srv.req("GET", "/api/v1/projects") for _ in range(4)]
        check("requests_under_the_burst_pass", all(s[0] == 401 for s in sts[:3]),
              str([s[0] for s in sts]))
        expect_error("over_the_rate_is_429", sts[3], 429, "rate_limited")
        check("429_says_retry_after", sts[3][1].get("retry-after", "").isdigit(), str(sts[3][1]))
        check("health_is_not_rate_limited", srv.req("GET", "/healthz")[0] == 200, "")
    finally:
        srv.stop()


def metric_value(srv, name):
    data = srv.req("GET", "/metrics")[2].decode()
    m = re.search(r"^%s (\d+)" % re.escape(name), data, re.M)
    return int(m.group(1)) if m else -1


def test_graceful_shutdown(tmp):
    srv = Server(os.path.join(tmp, "stop.db"))
    try:
        idle = srv.conn()
        st = srv.req("GET", "/healthz", conn=idle)[0]
        check("keep_alive_connection_works", st == 200, str(st))
        # A request in flight: headers and half of its body sent.
        body = b'{"name": "a", "password": "x"' + b" " * 1000 + b"nope"
        half = len(body) // 2
        slow = raw_exchange(srv.port, b"POST /api/v1/session HTTP/1.1\r\nHost: x\r\n"
                            b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n"
                            % len(body) + body[:half], read=False)
        deadline = time.monotonic() + 60
        while metric_value(srv, "lo_http_requests_in_flight") < 2 and time.monotonic() < deadline:
            pass  # the /metrics request itself is the other one
        mark = len(srv.lines)
        srv.proc.send_signal(signal.SIGTERM)
        check("shutdown_is_announced", srv.wait_line(lambda l: '"shutting_down"' in l, mark)
              is not None, str(srv.lines[-3:]))
        # A request arriving on an open connection during shutdown: 503.
        try:
            st, hdrs, data = srv.req("GET", "/healthz", conn=idle)
            e = error_of(data)
            check("request_during_shutdown_is_503", st == 503 and e and
                  e["code"] == "shutting_down", f"{st} {data!r}")
        except (OSError, http.client.HTTPException) as ex:
            ko("request_during_shutdown_is_503", repr(ex))
        # A new connection is refused.
        try:
            socket.create_connection(("127.0.0.1", srv.port), timeout=10).close()
            refused = False
        except OSError:
            refused = True
        check("no_new_connections_during_shutdown", refused, "connected")
        # The request in flight completes with its own answer.
        slow.sendall(body[half:])
        buf = b""
        while True:
            chunk = slow.recv(65536)
            if not chunk:
                break
            buf += chunk
        slow.close()
        head = buf.split(b"\r\n", 1)[0].decode("latin-1")
        check("request_in_flight_completes", head.startswith("HTTP/1.1 400") and
              b'"malformed"' in buf, head)
        rc = srv.proc.wait(60)
        check("server_exits_cleanly_after_shutdown", rc == 0, f"exit {rc}")
        check("shutdown_reports_nothing_unfinished",
              srv.wait_line(lambda l: '"stopped"' in l and '"unfinished":0' in l, mark) is not None,
              str(srv.lines[-3:]))
    finally:
        srv.stop()


def test_tls(tmp):
    if not shutil.which("openssl"):
        print("skip tls tests: openssl is not installed")
        return
    cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
    p = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                        key, "-out", cert, "-days", "2", "-subj", "/CN=127.0.0.1",
                        "-addext", "subjectAltName=IP:127.0.0.1"], capture_output=True)
    if p.returncode != 0:
        ko("tls_test_certificate", p.stderr.decode()[:300])
        return
    db = os.path.join(tmp, "tls.db")
    srv = Server(db, "--tls-cert", cert, "--tls-key", key, "--quiet")
    try:
        st, hdrs, data = srv.req("GET", "/healthz")
        check("https_answers", st == 200 and json.loads(data) == {"status": "ok"}, f"{st}")
        check("https_sends_hsts", hdrs.get("strict-transport-security", "").startswith("max-age="),
              str(hdrs))
        try:
            plain = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
            plain.request("GET", "/healthz")
            r = plain.getresponse()
            plain_ok = r.status == 200
        except (OSError, http.client.HTTPException):
            plain_ok = False
        check("plain_http_is_not_served_on_the_tls_port", not plain_ok, "answered")
        add = subprocess.run([LO, "--db", db, "user", "add", "--role", "admin", "carol"],
                             input=b"pw-carol-0123456789\n", capture_output=True)
        if add.returncode == 0:
            st, hdrs, _ = srv.req("POST", "/api/v1/session",
                                  {"name": "carol", "password": "pw-carol-0123456789"})
            check("session_cookie_is_secure_under_tls",
                  st == 201 and "; Secure" in hdrs.get("set-cookie", ""), f"{st} {hdrs}")
    finally:
        rc = srv.stop()
        check("tls_server_stops_cleanly", rc == 0, f"exit {rc}")


def test_openapi():
    spec = os.path.join(ROOT, "docs", "openapi.yaml")
    if not os.path.exists(spec):
        ko("openapi_describes_every_route", "docs/openapi.yaml is missing")
        return
    ops = openapi_operations(spec)
    missing = [f"{m} {p}" for m, p, _ in routes() if (m, p) not in ops]
    check("openapi_describes_every_route", not missing, f"missing: {missing}")
    first = open(spec, encoding="utf-8").readline()
    check("openapi_is_version_3", first.startswith("openapi: 3"), first)
    import yaml  # python3-yaml (scripts/install-deps.sh): any OpenAPI tool parses it as YAML
    try:
        doc = yaml.safe_load(open(spec, encoding="utf-8"))
        bad = None if isinstance(doc, dict) and isinstance(doc.get("paths"), dict) else "no paths"
    except yaml.YAMLError as ex:
        bad = str(ex).replace("\n", " ")
    check("openapi_is_valid_yaml", bad is None, bad)


def test_connection_limit(tmp):
    """Over LO_LIMIT_HTTP_CONNECTIONS_PER_IP (256) connections from one address, the next one is
    answered 503 too_many_connections with the error body and closed; libmicrohttpd alone
    would have dropped it without a word. Each held connection first completes a request, so
    the server has counted it before the next one opens."""
    per_ip = 256
    srv = Server(os.path.join(tmp, "conns.db"), "--quiet")
    held = []
    try:
        for _ in range(per_ip):
            c = srv.conn()
            c.request("GET", "/healthz")
            r = c.getresponse()
            r.read()
            if r.status != 200:
                break
            held.append(c)
        check("connections_up_to_the_limit_are_served", len(held) == per_ip, f"{len(held)}")
        extra = srv.conn()
        extra.request("GET", "/healthz")
        r = extra.getresponse()
        data = r.read()
        e = error_of(data) or {}
        check("a_connection_over_the_limit_gets_the_json_503",
              r.status == 503 and e.get("code") == "too_many_connections" and
              r.getheader("Retry-After") == "1" and
              (r.getheader("Connection") or "").lower() == "close", f"{r.status} {data!r}")
        extra.close()
        held.pop().close()
        # The server sees the closed connection on its next poll: retry until it has (bounded).
        st = 0
        for _ in range(200):
            st, _, _ = srv.req("GET", "/healthz")
            if st == 200:
                break
        check("a_freed_place_is_given_to_the_next_connection", st == 200, f"{st}")
    finally:
        for c in held:
            c.close()
        rc = srv.stop()
    check("server_with_many_connections_stops_cleanly", rc == 0, f"exit {rc}")


def main():
    tmp = tempfile.mkdtemp()
    try:
        srv = Server(os.path.join(tmp, "api.db"))
        try:
            test_basics(srv)
            test_bodies(srv)
            test_no_leaks_in_errors(srv)
            test_metrics_and_log(srv)
            try:
                import accounts_tests  # tests/api/accounts_tests.py
                accounts_tests.run(srv, sys.modules[__name__], tmp)
            except ImportError:
                pass
        finally:
            rc = srv.stop()
            check("server_stops_on_sigterm_with_status_0", rc == 0, f"exit {rc}")
        test_rate_limit(tmp)
        test_connection_limit(tmp)
        test_graceful_shutdown(tmp)
        test_tls(tmp)
        test_openapi()
    except Exception as ex:  # a crash of the test itself is one failure, not silence
        ko("test_program", repr(ex))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    main()
