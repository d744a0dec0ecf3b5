# syntax=docker/dockerfile:1
FROM python:3.12-alpine
RUN pip install --no-cache-dir httpx
COPY probe.py /probe.py
ENTRYPOINT ["python", "/probe.py"]