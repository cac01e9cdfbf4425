#!/usr/bin/python3
"""A tiny HTTP collector for the capture tests: stores PUT/POST bodies.

usage: collector.py DIR PORTFILE [--mode MODE]
  Listens on 127.0.0.1 ($COLLECTOR_HOST if set; a free port, written to PORTFILE).  A request for
  /a/b/name stores its body as DIR/a/b/name (mode 0600) when the body is
  complete: Content-Length bytes, or chunked up to the last chunk.  An
  incomplete body is not stored.  Each request is logged as one line in
  DIR/requests.log: "METHOD PATH encoding bytes status".
  MODE: ok (default); status:N (answer N to every request); fail:N (answer
  503 to the first N requests, then ok); die:N (close the connection after
  reading N body bytes, every time); slow (read nothing, answer nothing).
"""
import os
import socket
import socketserver
import sys
import time

ROOT = sys.argv[1]
PORTFILE = sys.argv[2]
MODE = sys.argv[4] if len(sys.argv) > 4 and sys.argv[3] == "--mode" else "ok"
STATE = {"requests": 0}


class Handler(socketserver.StreamRequestHandler):
    def log(self, line):
        with open(os.path.join(ROOT, "requests.log"), "a") as f:
            f.write(line + "\n")

    def answer(self, code, text):
        body = (text + "\n").encode()
        self.wfile.write(b"HTTP/1.1 %d %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n"
                         % (code, text.encode(), len(body)) + body)

    def handle(self):
        STATE["requests"] += 1
        line = self.rfile.readline(8192).decode("latin-1").strip()
        headers = {}
        while True:
            h = self.rfile.readline(8192).decode("latin-1")
            if h in ("\r\n", "\n", ""):
                break
            k, _, v = h.partition(":")
            headers[k.strip().lower()] = v.strip()
        parts = line.split()
        if len(parts) != 3:
            self.answer(400, "Bad Request")
            return
        method, path = parts[0], parts[1]
        if MODE == "slow":
            time.sleep(30)
            return
        limit = int(MODE.split(":")[1]) if MODE.startswith("die:") else None
        chunked = "chunked" in headers.get("transfer-encoding", "")
        body = bytearray()
        complete = False
        try:
            if chunked:
                while True:
                    size_line = self.rfile.readline(64)
                    if not size_line:
                        break
                    size = int(size_line.strip().split(b";")[0], 16)
                    if size == 0:
                        self.rfile.readline(64)
                        complete = True
                        break
                    chunk = self.rfile.read(size)
                    body += chunk
                    if len(chunk) < size:
                        break
                    self.rfile.readline(64)
                    if limit is not None and len(body) >= limit:
                        break
            else:
                n = int(headers.get("content-length", "0"))
                while len(body) < n:
                    want = n - len(body)
                    if limit is not None:
                        want = min(want, limit - len(body))
                        if want <= 0:
                            break
                    chunk = self.rfile.read(min(want, 65536))
                    if not chunk:
                        break
                    body += chunk
                complete = len(body) == n
        except (ValueError, ConnectionError):
            complete = False
        if limit is not None and len(body) >= limit:
            self.log("%s %s %s %d died" % (method, path, "chunked" if chunked else "length", len(body)))
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        status = 201
        if MODE.startswith("status:"):
            status = int(MODE.split(":")[1])
        elif MODE.startswith("fail:") and STATE["requests"] <= int(MODE.split(":")[1]):
            status = 503
        if status == 201 and not complete:
            status = 400
        if status == 201:
            rel = path.lstrip("/")
            if ".." in rel.split("/"):
                status = 403
            else:
                dest = os.path.join(ROOT, rel)
                os.makedirs(os.path.dirname(dest), mode=0o700, exist_ok=True)
                with open(dest + ".part", "wb") as f:
                    f.write(body)
                os.chmod(dest + ".part", 0o600)
                os.rename(dest + ".part", dest)
        self.log("%s %s %s %d %d" % (method, path, "chunked" if chunked else "length", len(body), status))
        self.answer(status, {201: "Created", 400: "Bad Request", 403: "Forbidden",
                             503: "Service Unavailable"}.get(status, "Status"))


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


def main():
    srv = Server((os.environ.get("COLLECTOR_HOST", "127.0.0.1"), 0), Handler)
    with open(PORTFILE + ".tmp", "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(PORTFILE + ".tmp", PORTFILE)
    srv.serve_forever()


if __name__ == "__main__":
    main()
