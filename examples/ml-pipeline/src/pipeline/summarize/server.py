import os

from fastapi import FastAPI
from pydantic import BaseModel
from transformers import pipeline

app = FastAPI(title="call-summarizer")
generator = pipeline("text-generation", model=os.environ["MODEL_DIR"], device_map="auto")


class Transcript(BaseModel):
    call_id: str
    text: str


@app.post("/summarize")
def summarize(transcript: Transcript) -> dict[str, str]:
    prompt = f"Summarize this support call in three bullet points:\n\n{transcript.text}\n\nSummary:"
    out = generator(prompt, max_new_tokens=200, return_full_text=False)
    return {"call_id": transcript.call_id, "summary": out[0]["generated_text"].strip()}
