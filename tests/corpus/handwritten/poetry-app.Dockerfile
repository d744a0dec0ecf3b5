# syntax=docker/dockerfile:1
FROM python:3.11-slim AS builder

ENV POETRY_VERSION=1.8.3 \
    POETRY_HOME=/opt/poetry \
    POETRY_VIRTUALENVS_IN_PROJECT=true \
    POETRY_NO_INTERACTION=1

RUN pip install "poetry==$POETRY_VERSION"
WORKDIR /code
COPY pyproject.toml poetry.lock ./
RUN --mount=type=cache,target=/root/.cache/pypoetry \
    poetry install --only main --no-root

COPY src ./src
RUN poetry install --only main

FROM python:3.11-slim
WORKDIR /code
COPY --from=builder /code/.venv /code/.venv
COPY --from=builder /code/src /code/src
ENV PATH="/code/.venv/bin:${PATH}"
CMD ["python", "-m", "inventory"]
