FROM python:3.10-slim AS export
RUN pip install --no-cache-dir torch==2.1.2 --index-url https://download.pytorch.org/whl/cpu \
 && pip install --no-cache-dir onnx==1.15.0 onnxruntime==1.17.1 optimum[exporters]
WORKDIR /export
COPY export.py .
ARG MODEL=distilbert-base-uncased
RUN python export.py --model "${MODEL}" --output /export/model.onnx --opset 17

FROM nvcr.io/nvidia/tritonserver:24.03-py3 AS triton
COPY --from=export /export/model.onnx /models/classifier/1/model.onnx
COPY triton/classifier/config.pbtxt /models/classifier/config.pbtxt
EXPOSE 8000 8001 8002
CMD ["tritonserver", "--model-repository=/models", "--strict-model-config=false"]
