"""An in-memory notes API."""

from flask import Flask, jsonify, request

app = Flask(__name__)
NOTES: list[str] = []


@app.route("/healthz")
def healthz():
    return jsonify(status="ok")


@app.route("/notes", methods=["GET", "POST"])
def notes():
    if request.method == "POST":
        NOTES.append(request.get_data(as_text=True))
    return jsonify(notes=NOTES)
