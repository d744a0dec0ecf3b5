FROM python:3.10-slim-bullseye

LABEL org.opencontainers.image.title="billing-api" \
      org.opencontainers.image.vendor="Example Corp"

RUN apt-get update && apt-get install -y --no-install-recommends \
        libpq5 \
        curl \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /srv/billing
COPY requirements/base.txt requirements/prod.txt ./requirements/
RUN pip install --no-cache-dir -r requirements/prod.txt

COPY . .

ENV FLASK_APP=billing.wsgi:app
ENV GUNICORN_CMD_ARGS="--workers 4 --threads 2 --timeout 60"
EXPOSE 5000
ENTRYPOINT ["gunicorn"]
CMD ["--bind", "0.0.0.0:5000", "billing.wsgi:app"]
