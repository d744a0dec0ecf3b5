"""FastAPI app: /transcribe and /generate, forwarded to the asr and llm services."""

from __future__ import annotations

import os

import httpx
from fastapi import FastAPI
from pydantic import BaseModel

ASR_URL = os.environ.get("ASR_URL", "http://asr:9000")
LLM_URL = os.environ.get("LLM_URL", "http://llm:9100")

app = FastAPI(title="mlserve gateway")


class TranscribeRequest(BaseModel):
    audio_path: str


class GenerateRequest(BaseModel):
    prompt: str


@app.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@app.post("/transcribe")
async def transcribe(request: TranscribeRequest) -> dict[str, object]:
    async with httpx.AsyncClient(timeout=60) as client:
        response = await client.post(f"{ASR_URL}/transcribe", json=request.model_dump())
    return response.json()


@app.post("/generate")
async def generate(request: GenerateRequest) -> dict[str, object]:
    async with httpx.AsyncClient(timeout=120) as client:
        response = await client.post(f"{LLM_URL}/generate", json=request.model_dump())
    return response.json()
