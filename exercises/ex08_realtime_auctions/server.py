"""Run the service: `python -m exercises.ex08_realtime_auctions.server --port 8080 [--impl starter]`.

uvicorn stops gracefully on SIGINT/SIGTERM: it stops accepting, closes WebSockets with 1012 (so
browsers reconnect to another instance and catch up), finishes requests, then runs the app's
shutdown (stop the closer, the listener, the pool). `PORT` is what most PaaS set.
"""

from __future__ import annotations

import argparse
import os

import uvicorn


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8080")))
    parser.add_argument("--log-level", default=os.environ.get("LOG_LEVEL", "warning"))
    parser.add_argument("--impl", choices=("solution", "starter"),
                        default=os.environ.get("BOOTCAMP_IMPL", "solution"))
    args = parser.parse_args(argv)
    os.environ["BOOTCAMP_IMPL"] = args.impl  # read by create_app in uvicorn's factory call
    uvicorn.run(f"{__package__}.app:create_app", factory=True, host=args.host, port=args.port,
                log_level=args.log_level, proxy_headers=True,
                forwarded_allow_ips=os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1"),
                timeout_graceful_shutdown=10)


if __name__ == "__main__":
    main()
