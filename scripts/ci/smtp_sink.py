#!/usr/bin/env python3
"""A loopback SMTP server for haboob's notification tests (aiosmtpd).

Each message received is written to DIR as NNNNNN.eml: two lines with the
envelope (X-Envelope-From, X-Envelope-To) and then the message as sent.
With --tls-cert/--tls-key the server offers STARTTLS (and with
--require-tls refuses mail before it). Prints "ready PORT" once listening.
"""
import argparse
import itertools
import os
import ssl
import sys
import threading
import time

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, folder):
        self.folder = folder
        self.counter = itertools.count(1)
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            n = next(self.counter)
        head = "X-Envelope-From: {}\r\nX-Envelope-To: {}\r\nX-Sink-TLS: {}\r\n".format(
            envelope.mail_from,
            ",".join(envelope.rcpt_tos),
            "yes" if session.ssl else "no",
        )
        data = envelope.original_content or envelope.content
        if isinstance(data, str):
            data = data.encode("utf-8", "surrogateescape")
        tmp = os.path.join(self.folder, ".%06d.tmp" % n)
        with open(tmp, "wb") as f:
            f.write(head.encode() + data)
        os.replace(tmp, os.path.join(self.folder, "%06d.eml" % n))
        return "250 Message accepted"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--dir", required=True)
    p.add_argument("--tls-cert")
    p.add_argument("--tls-key")
    p.add_argument("--require-tls", action="store_true")
    a = p.parse_args()
    os.makedirs(a.dir, exist_ok=True)
    kw = {}
    if a.tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(a.tls_cert, a.tls_key)
        kw["tls_context"] = ctx
        kw["require_starttls"] = a.require_tls
    c = Controller(Sink(a.dir), hostname="127.0.0.1", port=a.port, **kw)
    c.start()
    print("ready", a.port, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        c.stop()


if __name__ == "__main__":
    sys.exit(main())
