"""Scores the sentiment of text with a linear model over word weights; serves it over HTTP."""

from __future__ import annotations

import json
import os
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

from mpmath import mp, mpf

mp.dps = 30
MODEL_DIR = Path(os.environ.get("MODEL_DIR", "model"))
CONFIG = json.loads((MODEL_DIR / "config.json").read_text())
WEIGHTS = {word: mpf(w) for word, w in json.loads((MODEL_DIR / "weights.json").read_text()).items()}


def score(text: str) -> float:
    logit = mpf(CONFIG["bias"]) + sum((WEIGHTS.get(word, mpf(0)) for word in text.lower().split()), mpf(0))
    return float(1 / (1 + mp.exp(-logit)))


class Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        text = json.loads(self.rfile.read(length) or b"{}").get("text", "")
        probability = score(text)
        body = json.dumps({"positive": probability >= CONFIG["threshold"], "probability": probability}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)


if __name__ == "__main__":
    HTTPServer(("0.0.0.0", 9000), Handler).serve_forever()
