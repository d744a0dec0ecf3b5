FROM bitnami/spark:3.5.1
USER root
RUN install_packages python3-pip
COPY requirements.txt /opt/requirements.txt
RUN pip3 install --no-cache-dir -r /opt/requirements.txt
COPY jobs/ /opt/jobs/
ENV PYSPARK_PYTHON=python3 SPARK_MODE=master
USER 1001
CMD ["spark-submit", "--master", "local[*]", "/opt/jobs/etl.py"]
