FROM python:3.12-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends libxml2-dev libxslt1-dev gcc \
    && pip install --no-cache-dir scrapy==2.11.2 scrapy-playwright \
    && playwright install --with-deps chromium \
    && apt-get purge -y gcc && apt-get autoremove -y \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /crawler
COPY scrapy.cfg .
COPY crawler/ crawler/
ENTRYPOINT ["scrapy"]
CMD ["crawl", "catalog", "-O", "/out/catalog.jsonl"]
