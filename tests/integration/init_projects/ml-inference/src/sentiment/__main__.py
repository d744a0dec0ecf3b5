"""python -m sentiment [--port N]: serve POST /score and GET /health."""

import argparse
import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from sentiment import score


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self._reply(200, {"status": "ok"} if self.path == "/health" else {"error": "not found"})

    def do_POST(self) -> None:
        text = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode("utf-8")
        self._reply(200, {"positive": score(text)})

    def _reply(self, status: int, body: dict[str, object]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def main() -> None:
    parser = argparse.ArgumentParser(prog="sentiment", description="Serve the sentiment model over HTTP.")
    parser.add_argument("--port", type=int, default=8080)
    args = parser.parse_args()
    ThreadingHTTPServer(("0.0.0.0", args.port), Handler).serve_forever()


if __name__ == "__main__":
    main()
