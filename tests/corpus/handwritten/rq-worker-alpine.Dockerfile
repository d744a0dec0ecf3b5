FROM python:3.12-alpine3.19

RUN apk add --no-cache tini libffi \
 && apk add --no-cache --virtual .build-deps gcc musl-dev libffi-dev

COPY requirements.txt /requirements.txt
RUN pip install -r /requirements.txt && apk del .build-deps

COPY worker.py /app/worker.py
WORKDIR /app
STOPSIGNAL SIGINT
ENTRYPOINT ["/sbin/tini", "--"]
CMD ["rq", "worker", "--url", "redis://redis:6379", "high", "default", "low"]
