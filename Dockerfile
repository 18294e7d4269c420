# One image for every Newsdesk service (web, worker, scheduler, migrate): see compose.yaml.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    NEWSDESK_HOME=/data

WORKDIR /build
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip install '.[celery]' && rm -rf /build

# An unprivileged user owns the home (secret key, static files); a named volume mounted there
# starts with this ownership.
RUN useradd --system --create-home --home-dir /home/newsdesk newsdesk \
    && mkdir -p /data && chown newsdesk:newsdesk /data
USER newsdesk
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8000

ENTRYPOINT ["newsdesk"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
