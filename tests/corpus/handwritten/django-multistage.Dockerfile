# syntax=docker/dockerfile:1.6

########## builder ##########
FROM python:3.12-slim AS builder
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential libpq-dev \
 && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/venv
ENV PATH="/opt/venv/bin:$PATH"
COPY requirements.txt /tmp/requirements.txt
RUN --mount=type=cache,target=/root/.cache/pip,sharing=locked \
    pip install -r /tmp/requirements.txt

########## assets ##########
FROM node:20-alpine AS assets
WORKDIR /frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci
COPY frontend/ ./
RUN npm run build

########## runtime ##########
FROM python:3.12-slim AS runtime
RUN apt-get update && apt-get install -y --no-install-recommends libpq5 \
    && rm -rf /var/lib/apt/lists/*
COPY --from=builder /opt/venv /opt/venv
ENV PATH="/opt/venv/bin:$PATH" \
    DJANGO_SETTINGS_MODULE=shop.settings.production
WORKDIR /app
COPY --link . .
COPY --from=assets --link /frontend/dist ./static/dist
RUN python manage.py collectstatic --noinput
RUN useradd -r -u 1001 django && chown -R django /app/media
USER django
EXPOSE 8000
CMD ["gunicorn", "shop.wsgi", "-b", "0.0.0.0:8000", "--access-logfile", "-"]
