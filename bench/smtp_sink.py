"""The benchmark's mail server: aiosmtpd (the tests' SmtpServer) in a process of its own, so
that neither the bare loop nor the workers share its interpreter. Prints its port, then
answers each line read on stdin with "received duplicates"."""

import argparse
import sys


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    arguments = parser.parse_args()
    from interactions.tests.smtp_server import SmtpServer

    server = SmtpServer(keep_messages=False)
    server.port = arguments.port
    server.start()
    print(server.port, flush=True)
    for _line in sys.stdin:
        print(server.received, server.duplicates, flush=True)
    server.stop()


if __name__ == "__main__":
    main()
