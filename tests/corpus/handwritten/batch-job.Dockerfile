FROM python:3.12-slim
ENV PYTHONFAULTHANDLER=1 PYTHONHASHSEED=random PIP_NO_CACHE_DIR=1
RUN pip install pandas==2.2.2 pyarrow==16.1.0 s3fs
COPY --chmod=0644 jobs/nightly.py /jobs/nightly.py
USER 65534:65534
ENTRYPOINT ["python", "/jobs/nightly.py"]
CMD ["--date", "yesterday"]
