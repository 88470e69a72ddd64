#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Tiny traffic peers for the integration tests (stdlib only).

  netcheck.py serve --bind ADDR [--port 5001]
      TCP: reads the whole stream, answers with its SHA-256 (hex) and closes.
      UDP: echoes every datagram back to its sender.
  netcheck.py tcp --to ADDR [--port 5001] [--bytes N] [--timeout S]
      Sends N random bytes, checks the digest the server returns.
  netcheck.py udp --to ADDR [--port 5001] [--count N] [--size B] [--timeout S] [--tries T]
      Sends N datagrams, checks every echo comes back byte-identical (a datagram
      with no echo is sent again, T tries in all).
Exit 0 on success, 1 with a message on stderr otherwise.
"""
import argparse
import hashlib
import os
import socket
import sys
import threading


def family_of(addr):
    return socket.AF_INET6 if ':' in addr else socket.AF_INET


def serve(args):
    fam = family_of(args.bind)
    tcp = socket.socket(fam, socket.SOCK_STREAM)
    tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    tcp.bind((args.bind, args.port))
    tcp.listen(16)
    udp = socket.socket(fam, socket.SOCK_DGRAM)
    udp.bind((args.bind, args.port))

    def udp_loop():
        while True:
            data, peer = udp.recvfrom(65535)
            udp.sendto(data, peer)

    def handle(conn):
        with conn:
            digest = hashlib.sha256()
            while True:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                digest.update(chunk)
            conn.sendall(digest.hexdigest().encode())

    threading.Thread(target=udp_loop, daemon=True).start()
    print(f"netcheck: serving on {args.bind} port {args.port}", flush=True)
    while True:
        conn, _ = tcp.accept()
        threading.Thread(target=handle, args=(conn,), daemon=True).start()


def tcp_check(args):
    payload = os.urandom(args.bytes)
    with socket.create_connection((args.to, args.port), timeout=args.timeout) as s:
        s.sendall(payload)
        s.shutdown(socket.SHUT_WR)
        answer = b''
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            answer += chunk
    want = hashlib.sha256(payload).hexdigest()
    if answer.decode(errors='replace') != want:
        print(f"netcheck: tcp digest mismatch: got {answer[:64]!r}", file=sys.stderr)
        return 1
    print(f"netcheck: tcp {args.bytes} bytes to {args.to} ok (sha256 {want[:16]}...)")
    return 0


def udp_check(args):
    """Every datagram must come back byte-identical. One that gets no echo is sent
    again (--tries in all): a loaded machine may drop one in the userspace NAT64,
    and a translator bug corrupts or drops every one, not one in a while."""
    s = socket.socket(family_of(args.to), socket.SOCK_DGRAM)
    s.settimeout(args.timeout)
    s.connect((args.to, args.port))
    resent = 0
    for i in range(args.count):
        msg = i.to_bytes(4, 'big') + os.urandom(max(args.size - 4, 0))
        for attempt in range(1, args.tries + 1):
            s.send(msg)
            echo = receive_echo(s, i)
            if echo is not None:
                break
            print(f"netcheck: udp datagram {i} to {args.to}: no echo (try {attempt} of {args.tries})",
                  file=sys.stderr)
            resent += 1
        else:
            return 1
        if echo != msg:
            print(f"netcheck: udp datagram {i}: echo differs", file=sys.stderr)
            return 1
    print(f"netcheck: udp {args.count}x{args.size} bytes to {args.to} ok"
          + (f" ({resent} sent again)" if resent else ""))
    return 0


def receive_echo(s, seq):
    """The echo of datagram SEQ, skipping late echoes of earlier ones; None on timeout."""
    while True:
        try:
            echo = s.recv(65535)
        except socket.timeout:
            return None
        if len(echo) < 4 or int.from_bytes(echo[:4], 'big') >= seq:
            return echo


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest='cmd', required=True)
    sv = sub.add_parser('serve')
    sv.add_argument('--bind', required=True)
    sv.add_argument('--port', type=int, default=5001)
    tc = sub.add_parser('tcp')
    tc.add_argument('--to', required=True)
    tc.add_argument('--port', type=int, default=5001)
    tc.add_argument('--bytes', type=int, default=1 << 20)
    tc.add_argument('--timeout', type=float, default=30)
    ud = sub.add_parser('udp')
    ud.add_argument('--to', required=True)
    ud.add_argument('--port', type=int, default=5001)
    ud.add_argument('--count', type=int, default=5)
    ud.add_argument('--size', type=int, default=512)
    ud.add_argument('--timeout', type=float, default=3)
    ud.add_argument('--tries', type=int, default=3)
    args = p.parse_args()
    if args.cmd == 'serve':
        serve(args)
        return 0
    try:
        return tcp_check(args) if args.cmd == 'tcp' else udp_check(args)
    except OSError as e:
        print(f"netcheck: {args.cmd} to {args.to}: {e}", file=sys.stderr)
        return 1


if __name__ == '__main__':
    sys.exit(main())
