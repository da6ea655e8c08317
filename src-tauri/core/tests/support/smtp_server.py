"""A real SMTP server on loopback for Liftoff's mail tests (tests/smtp.rs).

aiosmtpd on 127.0.0.1 and a free port; the port is printed on the first line
of standard output once the server accepts connections. The server stops
when standard input closes (the test's guard dropping it, or the test
process dying), so no server outlives its test.

    --starttls CERT KEY   require STARTTLS before anything else
    --tls CERT KEY        implicit TLS from the first byte (port 465 style)
    --auth USER:PASSWORD  require AUTH (PLAIN or LOGIN, only once encrypted)
    --refuse ADDRESS      answer RCPT TO:<ADDRESS> with 550 (repeatable)
    --refuse-sender       answer every MAIL FROM with 553
    --out DIR             save each message as DIR/NNNN.eml, its envelope
                          recipients as DIR/NNNN.rcpt (one per line)
    --drop-after-data ADDRESS
                          take (and save) a message to ADDRESS, then close
                          the connection instead of answering (repeatable)
    --defer ADDRESS:N     answer RCPT TO:<ADDRESS> with 451 (greylisting, a
                          full mailbox) the first N times, then take it
                          (repeatable)
    --drop-at-rcpt ADDRESS
                          close the connection instead of answering
                          RCPT TO:<ADDRESS>, the first time (repeatable)
"""

import argparse
import os
import socket
import ssl
import sys
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Handler:
    def __init__(self, refuse, drop, out, refuse_sender=False, defer=None, drop_at_rcpt=()):
        self.refuse_sender = refuse_sender
        self.defer = {a.lower(): n for a, n in (defer or {}).items()}
        self.drop_at_rcpt = {a.lower() for a in drop_at_rcpt}
        self.refuse = {a.lower() for a in refuse}
        self.drop = {a.lower() for a in drop}
        self.out = out
        self.count = 0
        self.lock = threading.Lock()

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self.refuse_sender:
            return f"553 5.7.1 <{address}>: Sender address rejected: not owned by user"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 2.1.0 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        key = address.lower()
        if key in self.drop_at_rcpt:
            self.drop_at_rcpt.discard(key)
            server.transport.abort()
            return None
        if self.defer.get(key, 0) > 0:
            self.defer[key] -= 1
            return f"451 4.7.1 <{address}>: Recipient address rejected: greylisted, try again later"
        if address.lower() in self.refuse:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.out:
            with self.lock:
                self.count += 1
                stem = os.path.join(self.out, f"{self.count:04}")
            # Written under a temporary name, then renamed: a reader never
            # sees half a message.
            for ext, data in ((".rcpt", "\n".join(envelope.rcpt_tos).encode() + b"\n"),
                              (".eml", envelope.original_content or envelope.content)):
                with open(stem + ext + ".part", "wb") as f:
                    f.write(data)
                os.replace(stem + ext + ".part", stem + ext)
        if any(r.lower() in self.drop for r in envelope.rcpt_tos):
            # The message is in; the client never hears so.
            server.transport.abort()
            return None
        return "250 2.0.0 Message accepted for delivery"


def authenticator_for(user, password):
    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword)
              and auth_data.login == user.encode()
              and auth_data.password == password.encode())
        # handled=False: aiosmtpd itself answers a failure with
        # "535 5.7.8 Authentication credentials invalid".
        return AuthResult(success=ok, handled=False)
    return authenticate


def tls_context(cert, key):
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--starttls", nargs=2, metavar=("CERT", "KEY"))
    parser.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    parser.add_argument("--auth", metavar="USER:PASSWORD")
    parser.add_argument("--refuse", action="append", default=[], metavar="ADDRESS")
    parser.add_argument("--refuse-sender", action="store_true")
    parser.add_argument("--drop-after-data", action="append", default=[], metavar="ADDRESS")
    parser.add_argument("--out", metavar="DIR")
    parser.add_argument("--defer", action="append", default=[], metavar="ADDRESS:N")
    parser.add_argument("--drop-at-rcpt", action="append", default=[], metavar="ADDRESS")
    args = parser.parse_args()

    options = {}
    ssl_context = None
    if args.starttls:
        options.update(tls_context=tls_context(*args.starttls), require_starttls=True)
    if args.tls:
        ssl_context = tls_context(*args.tls)
    if args.auth:
        user, _, password = args.auth.partition(":")
        # aiosmtpd counts only STARTTLS as encryption; with implicit TLS the
        # whole connection is encrypted already.
        options.update(authenticator=authenticator_for(user, password), auth_required=True,
                       auth_require_tls=not args.tls)
    if args.out:
        os.makedirs(args.out, exist_ok=True)

    defer = {a: int(n) for a, _, n in (d.rpartition(":") for d in args.defer)}
    controller = Controller(Handler(args.refuse, args.drop_after_data, args.out, args.refuse_sender, defer, args.drop_at_rcpt), hostname="127.0.0.1", port=free_port(),
                            ssl_context=ssl_context, server_hostname="smtp.test", **options)
    controller.start()
    print(controller.port, flush=True)
    try:
        sys.stdin.read()
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
