#!/usr/bin/env python3
"""tlsfront.py: a TLS front for a loopback HTTP server, for the CA bundle
tests.

  tlsfront.py --cert FILE --key FILE --upstream PORT --port-file FILE
              [--log FILE]

Listens on 127.0.0.1 (a port the kernel picks, written to --port-file),
completes the TLS handshake with the certificate --cert (key --key), and
relays bytes both ways, unchanged, between the client and a plain TCP
connection to 127.0.0.1:PORT.  Since the bytes pass as they are, the Host
header a client signed reaches the upstream as signed.  Each handshake is
logged to --log as one line: "handshake ok", or "handshake failed: REASON"
(a client that does not trust the certificate ends it with an alert).
"""
import argparse
import os
import select
import socket
import ssl
import sys
import threading

lock = threading.Lock()


def log(path, line):
    if path:
        with lock, open(path, "a") as f:
            f.write(line + "\n")


def relay(client, upstream):
    """Copy bytes both ways until either side closes.  One thread per
    connection uses the TLS socket, as OpenSSL wants."""
    socks = [client, upstream]
    while True:
        ready, _, _ = select.select(socks, [], [], 120)
        if not ready:
            return
        for s in ready:
            other = upstream if s is client else client
            try:
                data = s.recv(65536)
                # Decrypted bytes still buffered in the TLS layer do not
                # wake select: read them now.
                while s is client and client.pending():
                    data += client.recv(65536)
            except OSError:
                return
            if not data:
                return
            other.sendall(data)


def serve(conn, args, ctx):
    try:
        try:
            tls = ctx.wrap_socket(conn, server_side=True)
        except (ssl.SSLError, OSError) as e:
            log(args.log, "handshake failed: %s" % e)
            conn.close()
            return
        log(args.log, "handshake ok")
        try:
            upstream = socket.create_connection(("127.0.0.1", args.upstream))
        except OSError:
            tls.close()
            return
        try:
            relay(tls, upstream)
        finally:
            upstream.close()
            tls.close()
    except Exception as e:  # a test server must not die of one client
        print("tlsfront: %s" % e, file=sys.stderr)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--upstream", type=int, required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log")
    args = ap.parse_args()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(listener.getsockname()[1]))
    os.replace(tmp, args.port_file)
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=serve, args=(conn, args, ctx),
                         daemon=True).start()


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(0)
