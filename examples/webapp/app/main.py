"""Read API over finished call transcripts."""
import json
import os
from pathlib import Path

from fastapi import FastAPI, HTTPException

TRANSCRIPTS = Path(os.environ.get("TRANSCRIPTS_DIR", "/data/transcripts"))

app = FastAPI(title="transcripts-api")


@app.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/calls/{call_id}")
def get_call(call_id: str) -> dict:
    path = TRANSCRIPTS / f"{call_id}.json"
    if not path.is_file() or path.parent != TRANSCRIPTS:
        raise HTTPException(status_code=404, detail="unknown call")
    return json.loads(path.read_text())
