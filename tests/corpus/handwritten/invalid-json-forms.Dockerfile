FROM python:3.11-slim
# Each of these is not valid JSON, so BuildKit runs it through the shell.
CMD [python, app.py]
CMD ['python', 'app.py']
CMD ["python", "app.py",]
ENTRYPOINT ["python" "app.py"]
RUN [ "echo", "unterminated"
# These are valid JSON with odd spacing.
CMD   [ "python" ,  "-u" , "app.py" ]
ENTRYPOINT []
RUN ["sh", "-c", "echo \"escaped\" \u00e9 \\ done"]
COPY ["my file.txt", "/dest dir/"]
ADD ["https://example.com/a.tar.gz", "/opt/"]
VOLUME ["/var/lib/data"]
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
