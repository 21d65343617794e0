"""A client of Python's `websockets` (Debian's python3-websockets) for the interop tests.

It talks to an echo server: a text message, a binary one, fragmented ones of both kinds,
a large one, a ping, then a close with code 4001. It prints one JSON line saying what it
got back (digests for bytes), and leaves the judging to the test. Usage:

    websockets_client.py URL [--ca FILE] [--deflate]
"""

import argparse
import asyncio
import hashlib
import json
import ssl
import sys

import websockets


def described(message):
    """A message as JSON can carry it: its type, length and a digest of its bytes."""
    data = message.encode("utf-8") if isinstance(message, str) else message
    return {
        "type": "text" if isinstance(message, str) else "binary",
        "length": len(data),
        "sha1": hashlib.sha1(data).hexdigest(),
    }


async def run(url, ca, deflate):
    context = ssl.create_default_context(cafile=ca) if ca else None
    report = {"version": websockets.__version__}
    async with websockets.connect(
        url,
        ssl=context,
        compression="deflate" if deflate else None,
        max_size=16 * 1024 * 1024,
        open_timeout=5,
        close_timeout=5,
    ) as ws:
        report["extensions"] = ws.response_headers.get("Sec-WebSocket-Extensions")
        echoes = []
        sends = [
            "hello from websockets, ünïcödé ✓",
            bytes(range(256)) * 4,
            ["frag", "mented ", "text ✓"],
            [b"\x00\x01\x02", b"", b"\xff" * 3000],
            ("compressible " * 20000),
        ]
        for message in sends:
            await ws.send(message)
            echoes.append(described(await asyncio.wait_for(ws.recv(), 5)))
        report["echoes"] = echoes
        pong = await ws.ping(b"py-ping")
        await asyncio.wait_for(pong, 5)
        report["pong"] = True
        await ws.close(code=4001, reason="bye from python")
        report["close"] = {"code": ws.close_code, "reason": ws.close_reason}
    print(json.dumps(report), flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--ca")
    parser.add_argument("--deflate", action="store_true")
    args = parser.parse_args()
    asyncio.run(asyncio.wait_for(run(args.url, args.ca, args.deflate), 20))
    return 0


if __name__ == "__main__":
    sys.exit(main())
