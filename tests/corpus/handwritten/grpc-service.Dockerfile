FROM python:3.11-slim AS protos
RUN pip install --no-cache-dir grpcio-tools==1.64.1
COPY protos/ /protos/
RUN mkdir /gen && python -m grpc_tools.protoc -I/protos \
      --python_out=/gen --grpc_python_out=/gen \
      /protos/embedding.proto

FROM python:3.11-slim
RUN pip install --no-cache-dir grpcio==1.64.1 protobuf sentence-transformers
COPY --from=protos /gen /srv/gen
COPY server.py /srv/
WORKDIR /srv
ENV PYTHONPATH=/srv/gen
EXPOSE 50051
STOPSIGNAL SIGTERM
CMD ["python", "server.py"]
