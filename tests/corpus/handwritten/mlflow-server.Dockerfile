FROM ghcr.io/mlflow/mlflow:v2.14.1
RUN pip install --no-cache-dir psycopg2-binary boto3
ENV MLFLOW_S3_ENDPOINT_URL=http://minio:9000
EXPOSE 5000
CMD mlflow server \
      --backend-store-uri "${MLFLOW_BACKEND_STORE_URI}" \
      --default-artifact-root s3://mlflow/ \
      --host 0.0.0.0 --port 5000
