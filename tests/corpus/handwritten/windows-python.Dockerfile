# escape=`
# Windows container: backslashes are path separators, the backtick continues lines.
FROM mcr.microsoft.com/windows/servercore:ltsc2022

SHELL ["powershell", "-Command", "$ErrorActionPreference = 'Stop'; $ProgressPreference = 'SilentlyContinue';"]

ENV PYTHON_VERSION=3.11.9 `
    PYTHON_HOME=C:\Python311

RUN $url = ('https://www.python.org/ftp/python/{0}/python-{0}-amd64.exe' -f $env:PYTHON_VERSION); `
    Invoke-WebRequest -Uri $url -OutFile 'python.exe'; `
    Start-Process python.exe -Wait -ArgumentList @( `
        '/quiet', `
        'InstallAllUsers=1', `
        'TargetDir=C:\Python311', `
        'PrependPath=1' `
    ); `
    Remove-Item python.exe -Force

WORKDIR C:\app
COPY requirements.txt C:\app\
RUN python -m pip install --no-cache-dir -r C:\app\requirements.txt
COPY . C:\app\
CMD ["python", "C:\\app\\service.py"]
