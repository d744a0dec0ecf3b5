FROM python:3.8

MAINTAINER Data Team <data@example.com>

ENV LANG C.UTF-8
ENV LC_ALL C.UTF-8
ENV PIPENV_VENV_IN_PROJECT 1

RUN pip install pipenv==2022.1.8
ADD Pipfile Pipfile.lock /app/
WORKDIR /app
RUN pipenv install --deploy --system
ADD . /app

EXPOSE 8080
CMD python app.py
