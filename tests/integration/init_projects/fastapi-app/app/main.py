"""A tiny FastAPI service: a greeting and a health route."""

from fastapi import FastAPI

app = FastAPI(title="greetings")


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/hello/{name}")
def hello(name: str) -> dict[str, str]:
    return {"message": f"hello {name}"}
