FROM tensorflow/tensorflow:2.15.0-gpu AS train
WORKDIR /work
COPY train.py requirements.txt ./
RUN pip install -r requirements.txt
RUN python train.py --epochs 1 --export /work/export/1

FROM tensorflow/serving:2.15.0-gpu
COPY --from=train /work/export /models/recommender
ENV MODEL_NAME=recommender
EXPOSE 8500 8501
