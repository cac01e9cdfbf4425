#!/usr/bin/python3
"""A crash collector for the tests: an HTTP server that stores uploads.

usage: collector.py ROOT PORTFILE LOGFILE [PORT]

Listens on 127.0.0.1 (PORT, default 0: any free port, written to PORTFILE
once listening).  PUT /a/b/NAME and POST /a/b/NAME store the request body as
ROOT/a/b/NAME: read whole (Content-Length, or Transfer-Encoding: chunked)
into ROOT/a/b/NAME.incomplete, fsync'd, then renamed, so a file under its
final name is always complete; a body cut short leaves nothing and gets 400.
A POST whose Content-Type is multipart/form-data stores its first file part
(busybox wget and curl -F send that).  Files are 0600, directories 0700.
GET returns a file or a directory listing (one name a line), HEAD its
headers; DELETE removes a file.  Paths with "..", empty or dot segments,
or bytes outside printable ASCII are refused (400).  Every request is one
line of LOGFILE: method, path, status, body bytes, transfer encoding.
"""
import email.parser
import email.policy
import http.server
import os
import sys
import threading
import urllib.parse

ROOT = ''
LOG = None
LOG_LOCK = threading.Lock()


def log_line(*fields):
    with LOG_LOCK:
        LOG.write(' '.join(str(f) for f in fields) + '\n')
        LOG.flush()


class BadBody(Exception):
    pass


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    server_version = 'crashkit-e2e-collector/1'

    def log_message(self, *_args):  # our own log only
        pass

    def local_path(self):
        """The file under ROOT that the request path names, or None."""
        raw = urllib.parse.urlsplit(self.path).path
        path = urllib.parse.unquote(raw)
        parts = path.split('/')[1:]
        if not parts or parts[-1] == '':
            parts = parts[:-1] if parts else parts
        for p in parts:
            if p in ('', '.', '..') or not all(0x20 < ord(c) < 0x7f for c in p):
                return None
        return os.path.join(ROOT, *parts) if parts else ROOT

    def reply(self, status, body=b'', ctype='text/plain'):
        self.send_response(status)
        self.send_header('Content-Type', ctype)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        if self.command != 'HEAD':
            self.wfile.write(body)

    def read_body(self, out):
        """Copy the request body to the file object out; return its size."""
        te = self.headers.get('Transfer-Encoding', '').lower()
        total = 0
        if te == 'chunked':
            while True:
                line = self.rfile.readline(1024)
                if not line.endswith(b'\n'):
                    raise BadBody('chunk size line cut short')
                try:
                    size = int(line.split(b';')[0].strip(), 16)
                except ValueError:
                    raise BadBody('bad chunk size %r' % line) from None
                if size == 0:
                    # trailers until an empty line
                    while self.rfile.readline(1024) not in (b'\r\n', b'\n', b''):
                        pass
                    return total
                left = size
                while left:
                    buf = self.rfile.read(min(left, 1 << 20))
                    if not buf:
                        raise BadBody('chunk cut short')
                    out.write(buf)
                    left -= len(buf)
                total += size
                if self.rfile.readline(16) not in (b'\r\n', b'\n'):
                    raise BadBody('no CRLF after a chunk')
        if te not in ('', 'identity'):
            raise BadBody('transfer encoding %r' % te)
        length = self.headers.get('Content-Length')
        if length is None:
            raise BadBody('neither Content-Length nor chunked')
        left = int(length)
        while left:
            buf = self.rfile.read(min(left, 1 << 20))
            if not buf:
                raise BadBody('body cut short at %d of %s bytes' % (total, length))
            out.write(buf)
            left -= len(buf)
            total += len(buf)
        return total

    def store(self):
        path = self.local_path()
        te = self.headers.get('Transfer-Encoding', '-')
        if path is None or path == ROOT:
            self.close_connection = True
            log_line(self.command, self.path, 400, 0, te)
            return self.reply(400, b'bad path\n')
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        tmp = path + '.incomplete'
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, 'wb') as out:
                size = self.read_body(out)
                out.flush()
                os.fsync(out.fileno())
            ctype = self.headers.get('Content-Type', '')
            if self.command == 'POST' and ctype.startswith('multipart/form-data'):
                size = self.unwrap_multipart(tmp, ctype)
            os.rename(tmp, path)
        except (BadBody, ValueError, OSError) as e:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            self.close_connection = True
            log_line(self.command, self.path, 400, 0, te, repr(str(e)))
            return self.reply(400, (str(e) + '\n').encode())
        log_line(self.command, self.path, 201, size, te)
        return self.reply(201, b'stored\n')

    @staticmethod
    def unwrap_multipart(tmp, ctype):
        with open(tmp, 'rb') as f:
            raw = b'Content-Type: ' + ctype.encode() + b'\r\n\r\n' + f.read()
        msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(raw)
        for part in msg.iter_parts():
            data = part.get_payload(decode=True)
            if data is not None:
                fd = os.open(tmp, os.O_WRONLY | os.O_TRUNC)
                with os.fdopen(fd, 'wb') as out:
                    out.write(data)
                    out.flush()
                    os.fsync(out.fileno())
                return len(data)
        raise ValueError('multipart body without a part')

    def do_PUT(self):
        self.store()

    def do_POST(self):
        self.store()

    def do_GET(self):
        path = self.local_path()
        if path is None:
            log_line(self.command, self.path, 400, 0, '-')
            return self.reply(400, b'bad path\n')
        if os.path.isdir(path):
            body = ''.join(n + '\n' for n in sorted(os.listdir(path))).encode()
            log_line(self.command, self.path, 200, len(body), '-')
            return self.reply(200, body)
        try:
            with open(path, 'rb') as f:
                body = f.read()
        except OSError:
            log_line(self.command, self.path, 404, 0, '-')
            return self.reply(404, b'not found\n')
        log_line(self.command, self.path, 200, len(body), '-')
        return self.reply(200, body, 'application/octet-stream')

    def do_HEAD(self):
        self.do_GET()

    def do_DELETE(self):
        path = self.local_path()
        if path is None or not os.path.isfile(path):
            log_line(self.command, self.path, 404, 0, '-')
            return self.reply(404, b'not found\n')
        os.unlink(path)
        log_line(self.command, self.path, 204, 0, '-')
        self.send_response(204)
        self.send_header('Content-Length', '0')
        self.end_headers()


def main():
    global ROOT, LOG
    if len(sys.argv) not in (4, 5):
        print(__doc__.splitlines()[2], file=sys.stderr)
        return 2
    os.umask(0o077)
    ROOT = os.path.abspath(sys.argv[1])
    os.makedirs(ROOT, mode=0o700, exist_ok=True)
    LOG = open(sys.argv[3], 'a', encoding='utf-8')
    port = int(sys.argv[4]) if len(sys.argv) == 5 else 0
    srv = http.server.ThreadingHTTPServer(('127.0.0.1', port), Handler)
    tmp = sys.argv[2] + '.tmp'
    with open(tmp, 'w', encoding='ascii') as f:
        f.write('%d\n' % srv.server_address[1])
    os.rename(tmp, sys.argv[2])
    srv.serve_forever()
    return 0


if __name__ == '__main__':
    sys.exit(main())
