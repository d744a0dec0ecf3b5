# A model-serving image that downloads weights at build time: the token handling varies by stage.
ARG HF_TOKEN
FROM python:3.11-slim AS weights
ARG HF_TOKEN
ENV HF_TOKEN=$HF_TOKEN \
    HF_HOME=/models/hf
RUN --mount=type=cache,target=/root/.cache/pip pip install "huggingface_hub[cli]==0.23.4"
RUN huggingface-cli download sentence-transformers/all-MiniLM-L6-v2 --local-dir /models/minilm

FROM python:3.11-slim
ENV TOKENIZERS_PARALLELISM=false \
    PYTHONUNBUFFERED=1
ENV DB_PASSWORD_FILE=/run/secrets/db_password
ENV OAUTH_TOKEN_URL=https://auth.example.com/oauth/token
ENV DJANGO_SECRET_KEY=changeme
ENV REDIS_PASS=r3dis-pr0d
ARG SENTRY_AUTH_KEY=0123456789abcdef0123456789abcdef
WORKDIR /srv
COPY requirements.txt .
RUN --mount=type=cache,target=/root/.cache/pip pip install -r requirements.txt
COPY .env /srv/.env
COPY --from=weights /models /models
COPY app/ ./app/
RUN useradd --system --uid 10001 --no-create-home app
USER app
CMD ["gunicorn", "app.wsgi:application", "--bind", "0.0.0.0:8000"]
