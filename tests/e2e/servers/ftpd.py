#!/usr/bin/python3
"""An FTP server for the tests (Debian's python3-pyftpdlib).

usage: ftpd.py ROOT USER PASSWORD_FILE PORTFILE LOGFILE

Listens on 127.0.0.1 on a free port (written to PORTFILE once listening);
USER, with the password in PASSWORD_FILE, may read, write, rename, delete
and make directories under ROOT.  Passive replies name 10.0.2.2, the address
at which a QEMU user-network guest reaches the host's 127.0.0.1 (a guest
told "127.0.0.1" would dial itself).  pyftpdlib's own log goes to LOGFILE.
"""
import logging
import os
import sys

from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler
from pyftpdlib.servers import FTPServer


def main():
    if len(sys.argv) != 6:
        print(__doc__.splitlines()[2], file=sys.stderr)
        return 2
    root, user, pwfile, portfile, logfile = sys.argv[1:]
    with open(pwfile, encoding='utf-8') as f:
        password = f.read().strip()
    os.umask(0o077)  # uploads are crash data: 0600 files, 0700 directories
    os.makedirs(root, mode=0o700, exist_ok=True)
    logging.basicConfig(filename=logfile, level=logging.INFO,
                        format='%(asctime)s %(message)s')
    auth = DummyAuthorizer()
    auth.add_user(user, password, root, perm='elradfmwMT')
    handler = FTPHandler
    handler.authorizer = auth
    handler.masquerade_address = '10.0.2.2'
    handler.permit_foreign_addresses = True
    srv = FTPServer(('127.0.0.1', 0), handler)
    tmp = portfile + '.tmp'
    with open(tmp, 'w', encoding='ascii') as f:
        f.write('%d\n' % srv.address[1])
    os.rename(tmp, portfile)
    srv.serve_forever()
    return 0


if __name__ == '__main__':
    sys.exit(main())
