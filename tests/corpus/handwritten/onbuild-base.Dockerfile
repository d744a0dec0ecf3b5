# A base image for team services: children only add their code.
FROM python:3.11-slim AS team-base
ENV PYTHONUNBUFFERED=1
WORKDIR /app
ONBUILD COPY requirements.txt /app/
ONBUILD RUN pip install --no-cache-dir -r /app/requirements.txt
ONBUILD COPY --chown=1000:1000 . /app
onbuild run python -m compileall -q /app
ONBUILD ARG GIT_SHA=unknown
ONBUILD LABEL org.opencontainers.image.revision=$GIT_SHA
ONBUILD HEALTHCHECK --interval=1m CMD ["python", "/app/health.py"]
USER 1000
CMD ["python", "-m", "app"]
