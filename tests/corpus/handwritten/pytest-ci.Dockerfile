# syntax=docker/dockerfile:1
FROM python:3.11-slim AS test
WORKDIR /repo
COPY requirements.txt requirements-dev.txt ./
RUN --mount=type=cache,target=/root/.cache/pip \
    pip install -r requirements.txt -r requirements-dev.txt
COPY . .
RUN ruff check . && mypy src
RUN pytest -q -m "not integration" --junitxml=/reports/junit.xml

FROM scratch AS reports
COPY --from=test /reports /
