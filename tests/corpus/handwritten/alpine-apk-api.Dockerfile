# A small API on Alpine: build deps in a virtual package, removed in the same RUN.
FROM python:3.12-alpine3.20 AS build
RUN apk update && apk add --virtual .build-deps gcc musl-dev libffi-dev
COPY requirements.txt /tmp/requirements.txt
RUN pip wheel --wheel-dir /wheels -r /tmp/requirements.txt

FROM python:3.12-alpine3.20
RUN apk add tini libffi \
 && rm -rf /var/cache/apk/*
RUN apk add curl
RUN --mount=type=cache,target=/var/cache/apk apk add postgresql-client
RUN apk upgrade
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    pip install --no-index --find-links=/wheels /wheels/*.whl
RUN addgroup -S -g 10001 api && adduser -S -u 10001 -G api api
WORKDIR /srv
COPY --chown=api:api api/ ./api/
USER api
EXPOSE 8000
ENTRYPOINT ["/sbin/tini", "--"]
CMD ["gunicorn", "api.wsgi:app", "--bind", "0.0.0.0:8000"]
