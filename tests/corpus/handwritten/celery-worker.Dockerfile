FROM python:3.11-slim

ARG APP_USER=worker
ENV C_FORCE_ROOT=false \
    CELERY_BROKER_URL=redis://redis:6379/0

RUN pip install --no-cache-dir "celery[redis]==5.3.6" "kombu>=5.3,<6"

WORKDIR /worker
COPY tasks/ tasks/
COPY celeryconfig.py .

RUN adduser --disabled-password --gecos '' ${APP_USER}
USER ${APP_USER}

# Shell form on purpose: the log level comes from the environment.
CMD celery -A tasks worker --loglevel=${LOG_LEVEL:-info} --concurrency=${CONCURRENCY:-4}
